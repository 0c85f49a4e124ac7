"""Reports: running the notebooks with papermill and exporting them to HTML, PDF, PNG images and a PowerPoint deck."""
