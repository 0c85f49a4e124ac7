-- 0009: where a rejected record starts in its file, as the person fixing it sees it: the physical line of a text
-- file (comment and metadata lines above the header and line breaks inside quoted values counted), the row of an
-- Excel sheet. row_number stays the record's number among the file's data records; NULL for loads logged before
-- and for formats without lines (Parquet, JSON).
alter table rejects add column line bigint;
