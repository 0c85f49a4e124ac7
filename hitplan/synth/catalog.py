"""The fictional hospital's fixed facts: departments, vendors, systems, people's names and course list.

Everything here is configuration, not randomness: the generators draw volumes and dates around it.
Vendor names are real companies (allowed, since they are suppliers, not people); every product
name is generic or fictional, and the vendors tied to planted problems are fictional on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

HOSPITAL = {
    "hospital_id": "SMRMC",
    "name": "St. Meridian Regional Medical Center",
    "time_zone": "America/Chicago",
    "fiscal_year_start_month": 7,
    "beds": 450,
    "operating_expense": 620_000_000,
    "revenue": 651_500_000,
    "staff": 3_900,
    "state": "IL",
    "currency": "USD",
}
FY_START_MONTH = HOSPITAL["fiscal_year_start_month"]


@dataclass(frozen=True)
class DeptKind:
    """How a kind of department works: weekend staffing, EHR reliance and e-mail reach."""

    weekend: float
    ehr: float
    email: float


DEPT_KINDS = {
    "inpatient": DeptKind(0.92, 0.92, 0.75),
    "emergency": DeptKind(1.00, 0.95, 0.70),
    "periop": DeptKind(0.25, 0.90, 0.80),
    "outpatient": DeptKind(0.08, 0.90, 0.90),
    "diagnostic": DeptKind(0.60, 0.85, 0.85),
    "therapy": DeptKind(0.55, 0.85, 0.85),
    "clinical_admin": DeptKind(0.10, 0.80, 1.00),
    "revenue": DeptKind(0.20, 0.95, 1.00),
    "business": DeptKind(0.05, 0.25, 1.00),
    "support": DeptKind(0.80, 0.12, 0.35),
    "it": DeptKind(0.20, 0.50, 1.00),
}

# (name, kind, headcount); headcounts sum to roughly the hospital's staff.
DEPARTMENTS: tuple[tuple[str, str, int], ...] = (
    ("Emergency Department", "emergency", 260),
    ("Medical ICU", "inpatient", 110),
    ("Surgical ICU", "inpatient", 90),
    ("Cardiovascular ICU", "inpatient", 70),
    ("Neonatal ICU", "inpatient", 85),
    ("Pediatric Unit", "inpatient", 55),
    ("Labor and Delivery", "inpatient", 75),
    ("Mother-Baby Unit", "inpatient", 60),
    ("Med-Surg 3 East", "inpatient", 65),
    ("Med-Surg 3 West", "inpatient", 65),
    ("Med-Surg 4 East", "inpatient", 66),
    ("Med-Surg 4 West", "inpatient", 64),
    ("Med-Surg 5 East", "inpatient", 68),
    ("Med-Surg 5 West", "inpatient", 63),
    ("Telemetry 6 North", "inpatient", 70),
    ("Cardiac Step-Down 6 South", "inpatient", 60),
    ("Oncology 7 North", "inpatient", 55),
    ("Orthopedics 7 South", "inpatient", 50),
    ("Neuroscience Unit", "inpatient", 50),
    ("Behavioral Health Unit", "inpatient", 55),
    ("Inpatient Rehabilitation", "inpatient", 45),
    ("Observation Unit", "inpatient", 35),
    ("Perioperative Services", "periop", 140),
    ("Pre-Op and PACU", "periop", 70),
    ("Ambulatory Surgery Center", "periop", 45),
    ("Cardiac Cath Lab", "periop", 35),
    ("Interventional Radiology", "periop", 25),
    ("Endoscopy", "periop", 30),
    ("Dialysis", "outpatient", 25),
    ("Wound Care Center", "outpatient", 12),
    ("Radiology", "diagnostic", 120),
    ("Laboratory", "diagnostic", 130),
    ("Pathology", "diagnostic", 25),
    ("Blood Bank", "diagnostic", 20),
    ("Pharmacy", "diagnostic", 95),
    ("Cardiology Diagnostics", "diagnostic", 30),
    ("Respiratory Therapy", "therapy", 60),
    ("Physical Therapy", "therapy", 45),
    ("Occupational Therapy", "therapy", 20),
    ("Speech Therapy", "therapy", 10),
    ("Clinical Nutrition", "therapy", 18),
    ("Case Management", "clinical_admin", 40),
    ("Social Work", "clinical_admin", 20),
    ("Infection Prevention", "clinical_admin", 8),
    ("Nursing Administration", "clinical_admin", 25),
    ("Clinical Education", "clinical_admin", 15),
    ("Quality and Patient Safety", "clinical_admin", 18),
    ("Spiritual Care", "clinical_admin", 6),
    ("Primary Care Clinic", "outpatient", 60),
    ("Cardiology Clinic", "outpatient", 35),
    ("Oncology Infusion Center", "outpatient", 45),
    ("Women's Health Clinic", "outpatient", 30),
    ("Orthopedic Clinic", "outpatient", 30),
    ("Pediatric Clinic", "outpatient", 28),
    ("Urgent Care", "outpatient", 40),
    ("Outpatient Imaging Center", "outpatient", 30),
    ("Sleep Center", "outpatient", 12),
    ("Telehealth Services", "outpatient", 15),
    ("Patient Access and Registration", "revenue", 110),
    ("Central Scheduling", "revenue", 45),
    ("Health Information Management", "revenue", 55),
    ("Coding and CDI", "revenue", 35),
    ("Patient Financial Services", "revenue", 70),
    ("Utilization Review", "revenue", 12),
    ("Finance", "business", 40),
    ("Supply Chain", "business", 45),
    ("Human Resources", "business", 35),
    ("Payroll", "business", 10),
    ("Compliance and Privacy", "business", 10),
    ("Risk Management", "business", 8),
    ("Executive Administration", "business", 20),
    ("Medical Staff Office", "business", 10),
    ("Marketing and Communications", "business", 14),
    ("Foundation", "business", 8),
    ("Legal", "business", 6),
    ("Facilities and Engineering", "support", 70),
    ("Environmental Services", "support", 150),
    ("Security Services", "support", 45),
    ("Clinical Engineering", "support", 25),
    ("Patient Transport", "support", 40),
    ("Sterile Processing", "support", 45),
    ("Food and Nutrition Services", "support", 60),
    ("Information Technology", "it", 140),
)

# The department planted with weak EHR training and a pile of how-to tickets (situation 5).
LOW_TRAINING_DEPARTMENT = "Med-Surg 5 East"

# Audiences: which departments naturally use an application (kinds or explicit names).
AUDIENCES: dict[str, tuple[str, ...]] = {
    "all": tuple(DEPT_KINDS),
    "clinical": ("inpatient", "emergency", "periop", "outpatient", "diagnostic", "therapy", "clinical_admin"),
    "inpatient": ("inpatient", "emergency"),
    "acute": ("inpatient", "emergency", "periop"),
    "outpatient": ("outpatient",),
    "revenue": ("revenue",),
    "business": ("business",),
    "office": ("business", "revenue", "clinical_admin", "it"),
    "it": ("it",),
    "imaging": ("Radiology", "Interventional Radiology", "Outpatient Imaging Center", "Emergency Department",
                "Cardiology Diagnostics", "Cardiac Cath Lab"),
    "cardiology": ("Cardiology Diagnostics", "Cardiology Clinic", "Cardiac Cath Lab", "Cardiovascular ICU",
                   "Telemetry 6 North", "Cardiac Step-Down 6 South"),
    "lab": ("Laboratory", "Pathology", "Blood Bank"),
    "pharmacy": ("Pharmacy",),
    "meds": ("Pharmacy", "inpatient", "emergency", "periop"),
    "oncology": ("Oncology 7 North", "Oncology Infusion Center"),
    "periop": ("periop",),
    "him": ("Health Information Management", "Coding and CDI", "Compliance and Privacy"),
    "finance": ("Finance", "Supply Chain", "Executive Administration", "Patient Financial Services"),
    "hr": ("Human Resources", "Payroll"),
    "supply": ("Supply Chain", "Sterile Processing", "Pharmacy"),
    "virtual": ("Telehealth Services", "outpatient"),
    "obstetrics": ("Labor and Delivery", "Mother-Baby Unit", "Neonatal ICU", "Women's Health Clinic"),
    "quality": ("Quality and Patient Safety", "Infection Prevention", "Risk Management", "Nursing Administration"),
    "facilities": ("Facilities and Engineering", "Clinical Engineering", "Security Services"),
    "access": ("Patient Access and Registration", "Central Scheduling", "Emergency Department"),
    "staff_office": ("Medical Staff Office",),
    "marketing": ("Marketing and Communications", "Foundation"),
    "security": ("Information Technology", "Compliance and Privacy"),
}


@dataclass(frozen=True)
class Vendor:
    """A supplier in the procurement system."""

    key: str
    name: str
    category: str
    strategic: bool


VENDORS: tuple[Vendor, ...] = (
    Vendor("epic", "Epic Systems", "clinical software", True),
    Vendor("microsoft", "Microsoft", "software and cloud", True),
    Vendor("cisco", "Cisco Systems", "network hardware and software", True),
    Vendor("paloalto", "Palo Alto Networks", "network security", True),
    Vendor("philips", "Philips", "medical devices and imaging software", True),
    Vendor("ge", "GE HealthCare", "medical devices and imaging", True),
    Vendor("siemens", "Siemens Healthineers", "medical devices and oncology software", False),
    Vendor("dell", "Dell Technologies", "servers and end-user devices", True),
    Vendor("pure", "Pure Storage", "storage", False),
    Vendor("netapp", "NetApp", "storage", False),
    Vendor("vmware", "VMware by Broadcom", "virtualization software", True),
    Vendor("aruba", "HPE Aruba Networking", "wireless networking", False),
    Vendor("citrix", "Citrix (Cloud Software Group)", "application delivery", False),
    Vendor("f5", "F5", "application delivery", False),
    Vendor("fortinet", "Fortinet", "network security", False),
    Vendor("workday", "Workday", "business software", True),
    Vendor("servicenow", "ServiceNow", "business software", False),
    Vendor("zoom", "Zoom Communications", "telehealth and collaboration", False),
    Vendor("imprivata", "Imprivata", "identity and access software", False),
    Vendor("crowdstrike", "CrowdStrike", "security software", False),
    Vendor("proofpoint", "Proofpoint", "security software", False),
    Vendor("cyberark", "CyberArk", "security software", False),
    Vendor("tenable", "Tenable", "security software", False),
    Vendor("rubrik", "Rubrik", "backup and recovery", False),
    Vendor("hyland", "Hyland Software", "business software", False),
    Vendor("solventum", "Solventum", "clinical software", False),
    Vendor("waystar", "Waystar", "revenue cycle software", False),
    Vendor("wk", "Wolters Kluwer", "clinical content", False),
    Vendor("ukg", "UKG", "workforce software", False),
    Vendor("stryker", "Stryker", "clinical communications", False),
    Vendor("omnicell", "Omnicell", "pharmacy automation", False),
    Vendor("bd", "BD", "medical devices", False),
    Vendor("baxter", "Baxter", "medical devices", False),
    Vendor("intersystems", "InterSystems", "integration software", False),
    Vendor("zebra", "Zebra Technologies", "printers and scanners", False),
    Vendor("hp", "HP Inc.", "printers", False),
    Vendor("aws", "Amazon Web Services", "cloud", False),
    Vendor("att", "AT&T", "telecom", False),
    Vendor("verizon", "Verizon", "telecom", False),
    Vendor("prairie_lab", "Prairie Lab Informatics", "clinical software", False),
    Vendor("lakeshore", "Lakeshore Managed Services", "managed services", False),
    Vendor("summit", "Summit Health IT Staffing", "contract labor", False),
    Vendor("heartland", "Heartland Data Centers", "colocation", False),
    Vendor("crescent", "Crescent Document Solutions", "print management", False),
    Vendor("midwest_fiber", "Midwest Fiber Networks", "telecom", False),
    Vendor("riverbend", "Riverbend Consulting Group", "consulting", False),
    Vendor("keystone", "Keystone Biomedical Services", "clinical engineering services", False),
    Vendor("beacon", "Beacon Advisory Research", "research and advisory", False),
)


@dataclass(frozen=True)
class SystemSpec:
    """One inventory entry; dates are offsets so any window gets a sensible inventory."""

    key: str
    name: str
    kind: str
    category: str
    tier: int | None
    vendor: str
    hosting: str
    years_live: float  # go-live is this many years before the window start (negative: inside the window)
    eos_months: int | None  # end of support, months after the window end (negative: already past)
    users: int | None
    phi: bool
    owner: str
    audience: str = ""
    platform: str = "windows"
    hosts: int = 0


APP, INF, MDN = "application", "infrastructure", "medical_device_network"
CLIN_APPS, BUS_APPS, INFRA = "Clinical Applications", "Business Applications", "IT Infrastructure"

# The inventory, one system per line (a table, so the lines are long on purpose). Fields follow SystemSpec;
# `hosts` is how many scanned hosts the system has (0 for SaaS and devices the scanner does not reach).
SYSTEMS: tuple[SystemSpec, ...] = (
    # Electronic health record and its satellites
    SystemSpec("ehr", "Epic EHR", APP, "ehr", 1, "epic", "on_prem", 8.5, None, 5200, True, CLIN_APPS, "all", "windows", 14),
    SystemSpec("ehr_mobile", "Epic Haiku and Rover Mobile", APP, "ehr", 2, "epic", "on_prem", 5.0, None, 1400, True, CLIN_APPS, "acute", "windows", 2),
    SystemSpec("ehr_reporting", "Epic Clarity and Caboodle Reporting", APP, "business", 3, "epic", "on_prem", 7.5, None, 260, True, BUS_APPS, "office", "windows", 4),
    SystemSpec("mychart", "MyChart Patient Portal", APP, "patient_portal", 2, "epic", "on_prem", 6.0, None, 180, True, CLIN_APPS, "access", "windows", 3),
    SystemSpec("interface_engine", "Interface Engine (HealthShare)", APP, "clinical", 1, "intersystems", "on_prem", 9.0, 40, 35, True, CLIN_APPS, "it", "linux", 4),
    SystemSpec("hie_gateway", "Health Information Exchange Gateway", APP, "clinical", 3, "intersystems", "on_prem", 4.0, None, 40, True, CLIN_APPS, "him", "linux", 2),
    # Imaging
    SystemSpec("pacs", "Enterprise PACS (Vue PACS)", APP, "pacs", 1, "philips", "on_prem", 7.0, 30, 900, True, CLIN_APPS, "imaging", "windows", 8),
    SystemSpec("vna", "Vendor Neutral Archive", APP, "pacs", 2, "philips", "on_prem", 6.0, None, 40, True, CLIN_APPS, "imaging", "linux", 4),
    SystemSpec("cardio_pacs", "Cardiology PACS (IntelliSpace Cardiovascular)", APP, "pacs", 2, "philips", "on_prem", 6.5, None, 220, True, CLIN_APPS, "cardiology", "windows", 4),
    SystemSpec("rad_dictation", "Radiology Dictation (PowerScribe)", APP, "clinical", 2, "microsoft", "hybrid", 5.5, None, 120, True, CLIN_APPS, "imaging", "windows", 2),
    SystemSpec("adv_vis", "3D Advanced Visualization", APP, "pacs", 3, "ge", "on_prem", 4.5, None, 60, True, CLIN_APPS, "imaging", "linux", 2),
    SystemSpec("dose_monitor", "Radiation Dose Monitoring", APP, "pacs", 4, "ge", "on_prem", 3.5, None, 25, True, CLIN_APPS, "imaging", "windows", 1),
    SystemSpec("mammo_tracking", "Mammography Tracking", APP, "clinical", 3, "hyland", "on_prem", 6.0, None, 30, True, CLIN_APPS, "imaging", "windows", 1),
    SystemSpec("critical_results", "Critical Results Notification", APP, "pacs", 3, "microsoft", "saas", 3.0, None, 300, True, CLIN_APPS, "imaging"),
    # Laboratory (the planted slow-responding vendor supplies these)
    SystemSpec("lis", "Laboratory Information System (LabWorks)", APP, "lis", 1, "prairie_lab", "on_prem", 8.0, 48, 320, True, CLIN_APPS, "lab", "windows", 4),
    SystemSpec("blood_bank", "Blood Bank System (LabWorks BB)", APP, "lis", 1, "prairie_lab", "on_prem", 8.0, 48, 60, True, CLIN_APPS, "lab", "windows", 2),
    SystemSpec("anat_path", "Anatomic Pathology (LabWorks AP)", APP, "lis", 2, "prairie_lab", "on_prem", 6.0, 48, 70, True, CLIN_APPS, "lab", "windows", 2),
    SystemSpec("lab_middleware", "Lab Instrument Middleware", APP, "lis", 2, "siemens", "on_prem", 5.0, None, 90, True, CLIN_APPS, "lab", "windows", 2),
    SystemSpec("poct", "Point-of-Care Testing Data Manager", APP, "lis", 3, "siemens", "on_prem", 4.0, None, 400, True, CLIN_APPS, "acute", "windows", 1),
    SystemSpec("lab_outreach", "Lab Outreach Portal", APP, "lis", 3, "prairie_lab", "saas", 3.0, None, 150, True, CLIN_APPS, "lab"),
    # Pharmacy and medication safety
    SystemSpec("adc", "Automated Dispensing Cabinets (Omnicell XT)", APP, "pharmacy", 1, "omnicell", "on_prem", 6.0, None, 2600, True, CLIN_APPS, "meds", "windows", 3),
    SystemSpec("pharm_carousel", "Pharmacy Carousel Automation", APP, "pharmacy", 3, "omnicell", "on_prem", 5.0, None, 40, False, CLIN_APPS, "pharmacy", "windows", 1),
    SystemSpec("iv_workflow", "IV Compounding Workflow", APP, "pharmacy", 2, "bd", "on_prem", 3.5, None, 60, True, CLIN_APPS, "pharmacy", "windows", 1),
    SystemSpec("diversion", "Drug Diversion Analytics", APP, "pharmacy", 3, "bd", "saas", 2.5, None, 30, True, CLIN_APPS, "pharmacy"),
    SystemSpec("formulary_ref", "Drug Reference (Lexicomp)", APP, "pharmacy", 3, "wk", "saas", 7.0, None, 3000, False, CLIN_APPS, "meds"),
    SystemSpec("anticoag", "Anticoagulation Clinic Manager", APP, "pharmacy", 4, "wk", "saas", 4.0, None, 20, True, CLIN_APPS, "pharmacy"),
    # Business and finance
    SystemSpec("erp_fin", "Workday Financials", APP, "erp", 2, "workday", "saas", 4.0, None, 420, False, BUS_APPS, "finance"),
    SystemSpec("erp_hcm", "Workday HCM", APP, "erp", 2, "workday", "saas", 4.0, None, 4100, True, BUS_APPS, "all"),
    SystemSpec("erp_scm", "Workday Supply Chain", APP, "erp", 2, "workday", "saas", 3.5, None, 300, False, BUS_APPS, "supply"),
    SystemSpec("timekeeping", "UKG Timekeeping", APP, "erp", 2, "ukg", "saas", 6.0, None, 4000, False, BUS_APPS, "all"),
    SystemSpec("staff_scheduling", "Nurse Staffing and Scheduling", APP, "business", 3, "ukg", "saas", 5.0, None, 700, False, BUS_APPS, "inpatient"),
    SystemSpec("budgeting", "Budgeting and Planning (Adaptive Planning)", APP, "business", 3, "workday", "saas", 3.0, None, 90, False, BUS_APPS, "finance"),
    SystemSpec("clearinghouse", "Claims Clearinghouse (Waystar)", APP, "business", 2, "waystar", "saas", 6.0, None, 120, True, BUS_APPS, "revenue"),
    SystemSpec("patient_pay", "Patient Payment Portal", APP, "patient_portal", 3, "waystar", "saas", 4.0, None, 90, True, BUS_APPS, "revenue"),
    SystemSpec("encoder", "Encoder and CDI (360 Encompass)", APP, "business", 2, "solventum", "saas", 6.5, None, 110, True, BUS_APPS, "him"),
    SystemSpec("onbase", "Document Imaging (OnBase)", APP, "business", 2, "hyland", "on_prem", 9.0, None, 900, True, BUS_APPS, "revenue", "windows", 4),
    SystemSpec("roi", "Release of Information", APP, "business", 3, "hyland", "saas", 4.0, None, 30, True, BUS_APPS, "him"),
    SystemSpec("bi", "Business Intelligence (Tableau)", APP, "business", 3, "microsoft", "on_prem", 5.0, None, 250, True, BUS_APPS, "office", "windows", 2),
    SystemSpec("credentialing", "Provider Credentialing", APP, "business", 3, "hyland", "saas", 5.0, None, 25, False, BUS_APPS, "staff_office"),
    SystemSpec("quality_reporting", "Quality Measures Reporting", APP, "business", 3, "epic", "on_prem", 4.0, None, 40, True, BUS_APPS, "quality", "windows", 1),
    SystemSpec("safety_events", "Patient Safety Event Reporting", APP, "business", 3, "wk", "saas", 5.0, None, 3500, True, BUS_APPS, "clinical"),
    SystemSpec("policy_mgmt", "Policy and Procedure Library", APP, "business", 4, "wk", "saas", 6.0, None, 3800, False, BUS_APPS, "all"),
    SystemSpec("contract_mgmt", "Contract Management", APP, "business", 4, "workday", "saas", 2.0, None, 60, False, BUS_APPS, "finance"),
    SystemSpec("lms", "Learning Management System", APP, "business", 3, "workday", "saas", 4.0, None, 4100, False, BUS_APPS, "all"),
    SystemSpec("itsm", "IT Service Management (ServiceNow)", APP, "business", 2, "servicenow", "saas", 5.0, None, 220, False, "Information Technology", "it"),
    SystemSpec("facilities_wo", "Facilities Work Orders", APP, "business", 4, "servicenow", "saas", 4.0, None, 120, False, BUS_APPS, "facilities"),
    SystemSpec("biomed_assets", "Medical Equipment Management", APP, "business", 3, "keystone", "saas", 5.0, None, 40, False, BUS_APPS, "facilities"),
    SystemSpec("visitor_mgmt", "Visitor Management", APP, "business", None, "keystone", "saas", 2.0, None, 60, False, BUS_APPS, "facilities"),
    SystemSpec("donor_mgmt", "Foundation Donor Management", APP, "business", 4, "riverbend", "saas", 6.0, None, 15, False, BUS_APPS, "marketing"),
    SystemSpec("crm", "Marketing CRM", APP, "business", None, "microsoft", "saas", 2.5, None, 20, False, BUS_APPS, "marketing"),
    SystemSpec("price_transparency", "Price Transparency Estimator", APP, "business", None, "waystar", "saas", 3.0, None, 25, False, BUS_APPS, "revenue"),
    SystemSpec("eligibility", "Insurance Eligibility and Estimates", APP, "business", 2, "waystar", "saas", 5.0, None, 180, True, BUS_APPS, "access"),
    SystemSpec("print_mgmt", "Print Management (Crescent)", APP, "business", 3, "crescent", "on_prem", 5.0, None, 3900, False, INFRA, "all", "windows", 2),
    SystemSpec("efax", "Enterprise eFax Server", APP, "business", 3, "crescent", "on_prem", 7.0, None, 400, True, BUS_APPS, "office", "windows", 1),
    # Clinical applications outside the EHR
    SystemSpec("anesthesia", "Anesthesia Information System", APP, "clinical", 1, "ge", "on_prem", 6.0, None, 120, True, CLIN_APPS, "periop", "windows", 3),
    SystemSpec("fetal_surv", "Fetal Surveillance (Perinatal)", APP, "clinical", 1, "ge", "on_prem", 7.0, 36, 160, True, CLIN_APPS, "obstetrics", "windows", 2),
    SystemSpec("ecg_mgmt", "ECG Management (MUSE)", APP, "clinical", 2, "ge", "on_prem", 8.0, None, 300, True, CLIN_APPS, "cardiology", "windows", 2),
    SystemSpec("hemo", "Hemodynamic Recording (Cath Lab)", APP, "clinical", 2, "ge", "on_prem", 6.0, None, 45, True, CLIN_APPS, "cardiology", "windows", 2),
    SystemSpec("onc_planning", "Radiation Oncology Treatment Planning", APP, "clinical", 2, "siemens", "on_prem", 5.0, None, 35, True, CLIN_APPS, "oncology", "windows", 2),
    SystemSpec("onc_record", "Oncology Information System", APP, "clinical", 2, "siemens", "on_prem", 5.0, None, 80, True, CLIN_APPS, "oncology", "windows", 2),
    SystemSpec("clin_comms", "Clinical Communications (Vocera)", APP, "clinical", 2, "stryker", "on_prem", 5.5, None, 2300, True, CLIN_APPS, "acute", "linux", 3),
    SystemSpec("nurse_call_int", "Nurse Call Integration", APP, "clinical", 2, "baxter", "on_prem", 6.0, None, 1500, True, CLIN_APPS, "inpatient", "windows", 2),
    SystemSpec("dragon", "Speech Recognition (Dragon Medical)", APP, "clinical", 3, "microsoft", "saas", 4.0, None, 650, True, CLIN_APPS, "clinical"),
    SystemSpec("cds", "Clinical Decision Support (UpToDate)", APP, "clinical", 3, "wk", "saas", 8.0, None, 2200, False, CLIN_APPS, "clinical"),
    SystemSpec("sepsis", "Sepsis Surveillance", APP, "clinical", 3, "epic", "on_prem", 2.5, None, 900, True, CLIN_APPS, "inpatient", "windows", 1),
    SystemSpec("infection_surv", "Infection Control Surveillance", APP, "clinical", 3, "wk", "saas", 5.0, None, 15, True, CLIN_APPS, "quality"),
    SystemSpec("bed_mgmt", "Patient Flow and Bed Management", APP, "clinical", 2, "epic", "on_prem", 4.5, None, 600, True, CLIN_APPS, "inpatient", "windows", 1),
    SystemSpec("dialysis_doc", "Dialysis Documentation", APP, "clinical", 3, "baxter", "saas", 4.0, None, 30, True, CLIN_APPS, "outpatient"),
    SystemSpec("endo_reporting", "Endoscopy Reporting", APP, "clinical", 3, "keystone", "on_prem", 6.0, None, 35, True, CLIN_APPS, "periop", "windows", 1),
    SystemSpec("sleep_study", "Sleep Study Software", APP, "clinical", 4, "philips", "on_prem", 7.0, None, 12, True, CLIN_APPS, "outpatient", "windows", 1),
    SystemSpec("wound_imaging", "Wound Imaging", APP, "clinical", None, "keystone", "saas", 2.0, None, 40, True, CLIN_APPS, "outpatient"),
    SystemSpec("clinical_trials", "Clinical Trials Management", APP, "clinical", None, "riverbend", "saas", 3.0, None, 20, True, CLIN_APPS, "oncology"),
    SystemSpec("infant_security", "Infant Protection System", APP, "clinical", 2, "stryker", "on_prem", 6.0, None, 90, False, CLIN_APPS, "obstetrics", "windows", 1),
    SystemSpec("interpreter", "Video Interpreter Services", APP, "clinical", 3, "zoom", "saas", 4.0, None, 900, False, CLIN_APPS, "clinical"),
    SystemSpec("diet_menu", "Patient Menu and Diet Orders", APP, "clinical", 4, "keystone", "saas", 5.0, None, 70, True, CLIN_APPS, "inpatient"),
    SystemSpec("transcription", "Transcription Platform", APP, "clinical", 3, "microsoft", "saas", 7.0, None, 60, True, CLIN_APPS, "him"),
    SystemSpec("rtls_app", "Asset and Staff Locating (RTLS)", APP, "clinical", 3, "stryker", "on_prem", 4.0, None, 300, False, CLIN_APPS, "inpatient", "linux", 1),
    SystemSpec("immunization_if", "Immunization Registry Interface", APP, "clinical", 4, "intersystems", "on_prem", 5.0, None, 10, True, CLIN_APPS, "outpatient", "linux", 1),
    SystemSpec("case_mgmt", "Care Management and Utilization Review", APP, "clinical", 3, "epic", "on_prem", 5.0, None, 80, True, CLIN_APPS, "revenue", "windows", 1),
    SystemSpec("patient_education", "Patient Education Content", APP, "clinical", 4, "wk", "saas", 6.0, None, 1500, False, CLIN_APPS, "clinical"),
    SystemSpec("trauma_registry", "Trauma and Stroke Registries", APP, "clinical", 3, "wk", "saas", 5.0, None, 12, True, CLIN_APPS, "quality"),
    SystemSpec("instrument_tracking", "Surgical Instrument Tracking", APP, "clinical", 3, "keystone", "on_prem", 5.0, None, 70, False, CLIN_APPS, "supply", "windows", 1),
    SystemSpec("employee_health", "Employee Health Records", APP, "clinical", 3, "ukg", "saas", 4.0, None, 20, True, CLIN_APPS, "hr"),
    SystemSpec("pharm_inventory", "Pharmacy Inventory and Purchasing", APP, "pharmacy", 3, "omnicell", "saas", 4.0, None, 30, False, CLIN_APPS, "pharmacy"),
    SystemSpec("program_340b", "340B Program Management", APP, "pharmacy", 3, "wk", "saas", 3.0, None, 10, True, CLIN_APPS, "pharmacy"),
    SystemSpec("oncall_sched", "Physician On-Call Scheduling", APP, "business", 3, "ukg", "saas", 5.0, None, 400, False, BUS_APPS, "staff_office"),
    SystemSpec("patient_experience", "Patient Experience Surveys", APP, "business", 4, "riverbend", "saas", 4.0, None, 80, True, BUS_APPS, "quality"),
    SystemSpec("decision_support", "Cost Accounting and Decision Support", APP, "business", 3, "epic", "on_prem", 3.0, None, 40, True, BUS_APPS, "finance", "windows", 1),
    SystemSpec("prior_auth", "Prior Authorization Automation", APP, "business", 3, "waystar", "saas", 1.0, None, 60, True, BUS_APPS, "access"),
    SystemSpec("denials", "Denials Management", APP, "business", 3, "waystar", "saas", 3.0, None, 50, True, BUS_APPS, "revenue"),
    SystemSpec("chargemaster", "Chargemaster Management", APP, "business", 4, "wk", "saas", 6.0, None, 15, False, BUS_APPS, "finance"),
    SystemSpec("reminders", "Appointment Reminders", APP, "patient_portal", 4, "waystar", "saas", 3.0, None, 45, True, BUS_APPS, "access"),
    SystemSpec("find_doctor", "Find-a-Doctor Website", APP, "patient_portal", 4, "microsoft", "saas", 5.0, None, 12, False, BUS_APPS, "marketing"),
    SystemSpec("data_platform", "Enterprise Data Platform", APP, "business", 3, "microsoft", "saas", 1.5, None, 60, True, BUS_APPS, "office"),
    # Virtual care
    SystemSpec("telehealth", "Telehealth Video Visits (Zoom for Healthcare)", APP, "telehealth", 2, "zoom", "saas", 4.0, None, 600, True, CLIN_APPS, "virtual"),
    SystemSpec("virtual_nursing", "Virtual Nursing Platform", APP, "telehealth", 3, "philips", "saas", -1.2, None, 180, True, CLIN_APPS, "inpatient"),
    SystemSpec("rpm", "Remote Patient Monitoring", APP, "telehealth", 3, "philips", "saas", -0.6, None, 40, True, CLIN_APPS, "virtual"),
    SystemSpec("econsult", "eConsult Platform", APP, "telehealth", 4, "zoom", "saas", 1.5, None, 120, True, CLIN_APPS, "outpatient"),
    # Collaboration
    SystemSpec("m365_mail", "Microsoft 365 Email", APP, "collaboration", 2, "microsoft", "saas", 4.5, None, 4200, True, INFRA, "all"),
    SystemSpec("teams", "Microsoft Teams", APP, "collaboration", 2, "microsoft", "saas", 4.0, None, 4200, True, INFRA, "all"),
    SystemSpec("sharepoint", "Intranet (SharePoint Online)", APP, "collaboration", 3, "microsoft", "saas", 4.0, None, 4200, False, INFRA, "all"),
    SystemSpec("uc_calling", "Unified Communications (Webex Calling)", APP, "collaboration", 2, "cisco", "saas", 3.0, None, 3200, False, INFRA, "all"),
    SystemSpec("contact_center", "Contact Center (Webex Contact Center)", APP, "collaboration", 2, "cisco", "saas", 3.0, None, 90, True, INFRA, "access"),
    SystemSpec("paging", "Overhead and Code Paging", APP, "collaboration", 1, "stryker", "on_prem", 9.0, None, 40, False, INFRA, "inpatient", "linux", 2),
    SystemSpec("conf_rooms", "Conference Room Video", APP, "collaboration", 4, "cisco", "saas", 3.0, None, 300, False, INFRA, "office"),
    SystemSpec("secure_file", "Secure File Transfer", APP, "collaboration", 3, "microsoft", "on_prem", 6.0, None, 120, True, INFRA, "office", "linux", 1),
    # Security tools
    SystemSpec("ad", "Active Directory and Entra ID", APP, "security", 1, "microsoft", "hybrid", 12.0, None, 4600, False, INFRA, "it", "windows", 6),
    SystemSpec("sso", "Single Sign-On and Badge Tap (Imprivata)", APP, "security", 2, "imprivata", "on_prem", 6.0, None, 3800, False, INFRA, "clinical", "linux", 3),
    SystemSpec("mfa", "Multi-Factor Authentication (Duo)", APP, "security", 2, "cisco", "saas", 3.5, None, 4400, False, INFRA, "all"),
    SystemSpec("edr", "Endpoint Detection and Response (Falcon)", APP, "security", 2, "crowdstrike", "saas", 3.0, None, 18, False, INFRA, "security"),
    SystemSpec("email_security", "E-mail Security (Proofpoint)", APP, "security", 2, "proofpoint", "saas", 5.0, None, 12, False, INFRA, "security"),
    SystemSpec("pam", "Privileged Access Management", APP, "security", 2, "cyberark", "on_prem", 2.5, None, 80, False, INFRA, "it", "windows", 2),
    SystemSpec("siem", "Security Monitoring (Sentinel SIEM)", APP, "security", 2, "microsoft", "saas", 2.0, None, 10, False, INFRA, "security"),
    SystemSpec("vuln_scanner", "Vulnerability Scanner (Nessus)", APP, "security", 3, "tenable", "on_prem", 5.0, None, 8, False, INFRA, "security", "linux", 2),
    SystemSpec("privacy_monitor", "Patient Privacy Monitoring", APP, "security", 3, "riverbend", "saas", 3.0, None, 6, True, INFRA, "security"),
    SystemSpec("mdm", "Mobile Device Management (Intune)", APP, "security", 3, "microsoft", "saas", 4.0, None, 25, False, INFRA, "it"),
    SystemSpec("meddev_security", "Medical Device Security Monitoring", APP, "security", 3, "keystone", "on_prem", 1.5, None, 8, False, INFRA, "security", "linux", 1),
    SystemSpec("badge_access", "Badge Access Control", APP, "security", 3, "keystone", "on_prem", 8.0, 14, 45, False, INFRA, "facilities", "windows", 1),
    SystemSpec("video_surv", "Video Surveillance", APP, "security", 3, "keystone", "on_prem", 7.0, None, 45, False, INFRA, "facilities", "windows", 2),
    # Network
    SystemSpec("core_dc1", "Core Switch Stack - Data Center 1 (Catalyst 6800)", INF, "network", 1, "cisco", "on_prem", 11.0, -21, None, False, INFRA, platform="cisco", hosts=3),
    SystemSpec("core_dc2", "Core Switch Stack - Data Center 2 (Catalyst 6800)", INF, "network", 1, "cisco", "colocation", 11.0, -21, None, False, INFRA, platform="cisco", hosts=3),
    SystemSpec("core_tower", "Core Switch Stack - Main Tower MDF (Catalyst 6800)", INF, "network", 1, "cisco", "on_prem", 10.5, -21, None, False, INFRA, platform="cisco", hosts=2),
    SystemSpec("dist_tower", "Distribution Switches - Main Tower", INF, "network", 1, "cisco", "on_prem", 3.0, 70, None, False, INFRA, platform="cisco", hosts=6),
    SystemSpec("dist_pavilion", "Distribution Switches - North Pavilion", INF, "network", 2, "cisco", "on_prem", 3.0, 70, None, False, INFRA, platform="cisco", hosts=4),
    SystemSpec("access_clinics", "Access Switches - Clinics", INF, "network", 3, "cisco", "on_prem", 5.0, 30, None, False, INFRA, platform="cisco", hosts=6),
    SystemSpec("dc_firewalls", "Data Center Firewalls (PA-5450)", INF, "network", 1, "paloalto", "on_prem", 3.0, 60, None, False, INFRA, platform="panos", hosts=2),
    SystemSpec("edge_firewalls", "Internet Edge Firewalls", INF, "network", 1, "paloalto", "on_prem", 4.0, 48, None, False, INFRA, platform="panos", hosts=2),
    SystemSpec("branch_firewalls", "Clinic Branch Firewalls (FortiGate)", INF, "network", 3, "fortinet", "on_prem", 4.0, 36, None, False, INFRA, platform="fortinet", hosts=4),
    SystemSpec("wireless", "Wireless LAN (Aruba)", INF, "network", 1, "aruba", "on_prem", 4.5, 40, None, False, INFRA, platform="aruba", hosts=4),
    SystemSpec("vpn", "Remote Access VPN (GlobalProtect)", INF, "network", 2, "paloalto", "on_prem", 4.0, 48, None, False, INFRA, platform="panos", hosts=2),
    SystemSpec("wan", "SD-WAN and WAN Circuits", INF, "network", 2, "midwest_fiber", "colocation", 3.0, None, None, False, INFRA, platform="appliance", hosts=0),
    SystemSpec("internet", "Internet Circuits", INF, "network", 2, "att", "colocation", 5.0, None, None, False, INFRA, platform="appliance", hosts=0),
    SystemSpec("dns_dhcp", "DNS, DHCP and IP Address Management", INF, "network", 1, "microsoft", "on_prem", 8.0, None, None, False, INFRA, platform="windows", hosts=4),
    SystemSpec("load_balancers", "Load Balancers (BIG-IP)", INF, "network", 2, "f5", "on_prem", 4.0, 30, None, False, INFRA, platform="f5", hosts=2),
    SystemSpec("nac", "Network Access Control (ISE)", INF, "network", 2, "cisco", "on_prem", 3.0, 50, None, False, INFRA, platform="cisco", hosts=2),
    # Compute
    SystemSpec("vmw_prod", "VMware Cluster - DC1 Production", INF, "compute", 1, "vmware", "on_prem", 4.0, 30, None, False, INFRA, platform="esxi", hosts=12),
    SystemSpec("vmw_dr", "VMware Cluster - DC2 Recovery", INF, "compute", 2, "vmware", "colocation", 4.0, 30, None, False, INFRA, platform="esxi", hosts=8),
    SystemSpec("epic_db_servers", "Epic Database Servers", INF, "compute", 1, "dell", "on_prem", 2.5, 48, None, True, INFRA, platform="linux", hosts=4),
    SystemSpec("citrix_farm", "Citrix Virtual Apps Farm", INF, "compute", 1, "citrix", "on_prem", 5.0, 24, None, True, INFRA, platform="citrix", hosts=10),
    SystemSpec("windows_estate", "Windows Server Estate", INF, "compute", 2, "microsoft", "on_prem", 9.0, None, None, True, INFRA, platform="windows", hosts=10),
    SystemSpec("linux_estate", "Linux Server Estate", INF, "compute", 2, "dell", "on_prem", 7.0, None, None, True, INFRA, platform="linux", hosts=6),
    SystemSpec("azure", "Azure Landing Zone", INF, "compute", 3, "microsoft", "cloud_iaas", 2.5, None, None, True, INFRA, platform="windows", hosts=4),
    SystemSpec("aws", "AWS Landing Zone", INF, "compute", 3, "aws", "cloud_iaas", 1.5, None, None, False, INFRA, platform="linux", hosts=3),
    # Storage
    SystemSpec("storage_dc1", "Primary Storage Array - DC1 (FlashArray)", INF, "storage", 1, "pure", "on_prem", 3.0, 60, None, True, INFRA, platform="appliance", hosts=2),
    SystemSpec("storage_dc2", "Replica Storage Array - DC2 (FlashArray)", INF, "storage", 2, "pure", "colocation", 3.0, 60, None, True, INFRA, platform="appliance", hosts=2),
    SystemSpec("file_storage", "File Storage (NetApp)", INF, "storage", 2, "netapp", "on_prem", 5.0, 26, None, True, INFRA, platform="appliance", hosts=2),
    SystemSpec("backup_platform", "Backup Platform (Rubrik)", INF, "storage", 1, "rubrik", "on_prem", 3.0, 54, None, True, INFRA, platform="linux", hosts=4),
    # End-user fleet
    SystemSpec("desktops", "Desktop Fleet", INF, "end_user", 3, "dell", "on_prem", 4.0, None, None, True, INFRA, platform="windows", hosts=14),
    SystemSpec("laptops", "Laptop Fleet", INF, "end_user", 3, "dell", "on_prem", 3.0, None, None, True, INFRA, platform="windows", hosts=8),
    SystemSpec("thin_clients", "Thin Clients at the Bedside", INF, "end_user", 3, "dell", "on_prem", 5.0, 20, None, False, INFRA, platform="windows", hosts=4),
    SystemSpec("mobile_devices", "Clinical Smartphones", INF, "end_user", 3, "verizon", "on_prem", 3.0, None, None, True, INFRA, platform="apple", hosts=0),
    SystemSpec("printers", "Printer Fleet", INF, "end_user", 3, "hp", "on_prem", 5.0, None, None, False, INFRA, platform="appliance", hosts=0),
    SystemSpec("label_printers", "Label and Wristband Printers", INF, "end_user", 2, "zebra", "on_prem", 6.0, None, None, False, INFRA, platform="appliance", hosts=0),
    SystemSpec("scanners", "Barcode Scanners", INF, "end_user", 3, "zebra", "on_prem", 6.0, None, None, False, INFRA, platform="appliance", hosts=0),
    # Medical-device networks
    SystemSpec("pm_network", "Patient Monitoring Network (IntelliVue)", MDN, "medical_device", 1, "philips", "on_prem", 7.0, None, None, True, "Clinical Engineering", platform="windows", hosts=4),
    SystemSpec("telemetry", "Telemetry Network", MDN, "medical_device", 1, "philips", "on_prem", 7.0, None, None, True, "Clinical Engineering", platform="windows", hosts=2),
    SystemSpec("infusion", "Infusion Pump Network (Alaris)", MDN, "medical_device", 1, "bd", "on_prem", 5.0, None, None, True, "Clinical Engineering", platform="windows", hosts=2),
    SystemSpec("modalities", "Imaging Modality Network", MDN, "medical_device", 1, "ge", "on_prem", 8.0, None, None, True, "Clinical Engineering", platform="windows", hosts=6),
    SystemSpec("lab_analyzers", "Lab Analyzer Network", MDN, "medical_device", 2, "siemens", "on_prem", 6.0, None, None, True, "Clinical Engineering", platform="windows", hosts=3),
    SystemSpec("nurse_call", "Nurse Call Network", MDN, "medical_device", 2, "baxter", "on_prem", 8.0, None, None, False, "Clinical Engineering", platform="linux", hosts=2),
    SystemSpec("smart_beds", "Smart Bed Network", MDN, "medical_device", 3, "baxter", "on_prem", 4.0, None, None, False, "Clinical Engineering", platform="appliance", hosts=0),
    SystemSpec("fetal_network", "Fetal Monitoring Network", MDN, "medical_device", 1, "ge", "on_prem", 7.0, None, None, True, "Clinical Engineering", platform="windows", hosts=2),
    SystemSpec("anesthesia_devices", "Anesthesia Machine Network", MDN, "medical_device", 2, "ge", "on_prem", 6.0, None, None, True, "Clinical Engineering", platform="appliance", hosts=0),
    SystemSpec("dialysis_devices", "Dialysis Machine Network", MDN, "medical_device", 3, "baxter", "on_prem", 5.0, None, None, True, "Clinical Engineering", platform="appliance", hosts=0),
)

# Planted-situation anchors, by system key.
EOS_SWITCHES = ("core_dc1", "core_dc2", "core_tower")
EHR = "ehr"
PACS = "pacs"
SLA_VENDOR = "prairie_lab"
DUPLICATE_INVOICE_VENDOR = "crescent"
KEV_SYSTEMS = ("onbase", "cardio_pacs", "anesthesia")
# Ids of systems retired from the CMDB that old tickets still name (unmatched rows in real exports).
RETIRED_SYSTEM_IDS = ("SYS-9001", "SYS-9004", "SYS-9017", "SYS-9999")

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Christopher", "Karen",
    "Charles", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Sandra", "Mark", "Margaret",
    "Donald", "Ashley", "Steven", "Kimberly", "Andrew", "Emily", "Paul", "Donna", "Joshua", "Michelle",
    "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "Timothy", "Deborah", "Ronald", "Stephanie",
    "George", "Rebecca", "Jason", "Sharon", "Edward", "Laura", "Jeffrey", "Cynthia", "Ryan", "Dorothy",
    "Jacob", "Amy", "Nicholas", "Kathleen", "Gary", "Angela", "Eric", "Shirley", "Jonathan", "Emma",
    "Stephen", "Brenda", "Larry", "Pamela", "Justin", "Nicole", "Scott", "Anna", "Brandon", "Samantha",
    "Benjamin", "Katherine", "Samuel", "Christine", "Gregory", "Debra", "Alexander", "Rachel", "Patrick", "Carolyn",
    "Frank", "Janet", "Raymond", "Maria", "Jack", "Olivia", "Dennis", "Heather", "Jerry", "Helen",
    "Tyler", "Catherine", "Aaron", "Diane", "Jose", "Julie", "Adam", "Victoria", "Nathan", "Joyce",
    "Henry", "Lauren", "Zachary", "Kelly", "Douglas", "Christina", "Peter", "Ruth", "Kyle", "Joan",
    "Noah", "Virginia", "Ethan", "Judith", "Jeremy", "Evelyn", "Christian", "Hannah", "Walter", "Andrea",
    "Keith", "Megan", "Austin", "Cheryl", "Roger", "Jacqueline", "Terry", "Madison", "Sean", "Teresa",
    "Gerald", "Abigail", "Carl", "Sophia", "Dylan", "Martha", "Harold", "Sara", "Jordan", "Gloria",
    "Luis", "Ana", "Carlos", "Sofia", "Miguel", "Lucia", "Ahmed", "Fatima", "Wei", "Mei",
    "Raj", "Priya", "Kwame", "Ama", "Tomasz", "Agnieszka", "Dmitri", "Olga", "Kenji", "Yuki",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
    "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
    "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton", "Graham",
    "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson",
    "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens",
    "Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen",
    "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter",
    "Kowalski", "Nowak", "Okafor", "Mensah", "Haddad", "Nakamura", "Singh", "Shah", "Novak", "Lindqvist",
)

# Roles by department kind: (role, share of the department's people).
ROLES: dict[str, tuple[tuple[str, float], ...]] = {
    "inpatient": (("Registered Nurse", 0.62), ("Patient Care Technician", 0.18), ("Unit Secretary", 0.06),
                  ("Hospitalist Physician", 0.06), ("Nurse Manager", 0.03), ("Advanced Practice Provider", 0.05)),
    "emergency": (("Registered Nurse", 0.52), ("Emergency Physician", 0.12), ("Patient Care Technician", 0.14),
                  ("Advanced Practice Provider", 0.08), ("Unit Secretary", 0.08), ("Nurse Manager", 0.06)),
    "periop": (("Registered Nurse", 0.45), ("Surgical Technologist", 0.25), ("Anesthesiologist", 0.10),
               ("Surgeon", 0.10), ("Nurse Manager", 0.05), ("Unit Secretary", 0.05)),
    "outpatient": (("Registered Nurse", 0.25), ("Medical Assistant", 0.30), ("Physician", 0.20),
                   ("Advanced Practice Provider", 0.10), ("Front Desk Specialist", 0.15)),
    "diagnostic": (("Technologist", 0.55), ("Medical Laboratory Scientist", 0.15), ("Pharmacist", 0.10),
                   ("Radiologist", 0.08), ("Supervisor", 0.12)),
    "therapy": (("Therapist", 0.75), ("Therapy Assistant", 0.20), ("Supervisor", 0.05)),
    "clinical_admin": (("Case Manager", 0.40), ("Clinical Specialist", 0.45), ("Manager", 0.15)),
    "revenue": (("Registration Specialist", 0.40), ("HIM Specialist", 0.20), ("Coder", 0.15),
                ("Billing Specialist", 0.20), ("Manager", 0.05)),
    "business": (("Analyst", 0.50), ("Coordinator", 0.30), ("Manager", 0.15), ("Director", 0.05)),
    "support": (("Technician", 0.55), ("Attendant", 0.35), ("Supervisor", 0.10)),
    "it": (("IT Analyst", 0.45), ("Systems Engineer", 0.25), ("Service Desk Analyst", 0.20), ("IT Manager", 0.10)),
}


@dataclass(frozen=True)
class Course:
    """A training course: who gets it, when, and which system it teaches."""

    title: str
    audience: str  # key of AUDIENCES
    months: tuple[int, ...]  # calendar months it is assigned in each year (campaigns)
    system: str | None = None
    due_days: int = 30
    roles: tuple[str, ...] = ()  # only these roles, when given


COURSES: tuple[Course, ...] = (
    Course("HIPAA Privacy and Security Annual Training", "all", (1,), None, 45),
    Course("Cybersecurity Awareness Annual Training", "all", (10,), None, 30),
    Course("Epic Inpatient Nursing Upgrade Refresher", "acute", (3, 9), "ehr", 30,
           ("Registered Nurse", "Patient Care Technician", "Nurse Manager")),
    Course("Epic Provider Documentation Update", "clinical", (3, 9), "ehr", 30,
           ("Hospitalist Physician", "Emergency Physician", "Physician", "Advanced Practice Provider",
            "Surgeon", "Anesthesiologist", "Radiologist")),
    Course("Epic Ambulatory Workflow Update", "outpatient", (4, 10), "ehr", 30),
    Course("Epic Unit Clerk and ADT Workflow", "inpatient", (4,), "ehr", 30, ("Unit Secretary",)),
    Course("Epic Registration and Scheduling Update", "revenue", (4, 10), "ehr", 30),
    Course("Epic Downtime Procedures", "clinical", (6,), "ehr", 45),
    Course("PACS Viewer Essentials", "imaging", (5,), "pacs", 30),
    Course("LIS Specimen Processing Update", "lab", (2, 8), "lis", 30),
    Course("Dispensing Cabinet Competency", "meds", (11,), "adc", 30,
           ("Registered Nurse", "Pharmacist", "Technologist", "Nurse Manager")),
    Course("Workday Manager Self-Service", "all", (7,), "erp_hcm", 30,
           ("Nurse Manager", "Manager", "Director", "Supervisor", "IT Manager")),
    Course("Secure Texting with Vocera", "acute", (8,), "clin_comms", 30),
)
NEW_HIRE_COURSES = (
    Course("New Hire IT Orientation", "all", (), None, 14),
    Course("Epic New User Training", "clinical", (), "ehr", 21),
)

# Control owners for compliance evidence (fictional).
CONTROL_OWNERS = (
    "Dana Whitfield", "Marcus Ellison", "Priya Raman", "Caroline Stokes", "Tomasz Kowalski",
    "Angela Brooks", "Kenji Nakamura", "Rachel Okafor",
)
SITES = ("MAIN", "NPAV", "ASC", "OIC", "CLN1", "CLN2", "DC1", "DC2")
