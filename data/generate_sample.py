"""Generate the sample council's data (Wealdshire County Council, fictional) as data/*.csv.

Deterministic: fixed seeds (numpy default_rng), so running it twice gives byte-identical files.
The data reproduce the published Kent CC figures for Quarter 2, 2023/24 (seed 001: 38 KPIs,
15 Green, 15 Amber, 8 Red, direction of travel 7 improving, 19 stable, 12 worsening) and for
Quarter 1 (16/11/11 and 4/24/10), under the rules qprlib applies; data/README.md has the rules.

How: each KPI carries a plan (its RAG and direction in 2023/24 Q1 and Q2). A series is drawn
(history, then a recent straight-line trend, plus AR(1) noise), rounded as published, and
redrawn with the next seed until qprlib.trend.direction gives the planned directions and a
2023/24 target and floor exist that give the planned ratings. The script ends by checking every
figure and exits with status 1 and a message naming the failed check.

Comparators (data/comparators.csv): synthetic published figures of 15 fictional "similar
councils" and England for the statutory measures among the KPIs (COMPARED), every quarter end
from June 2021 to June 2023 (a quarter behind the council's own figures, as published
comparisons are). Drawn from their own seeds after everything else, so the five files above
are exactly what they were before comparators existed.

    python data/generate_sample.py             # rewrite data/*.csv
    python data/generate_sample.py --out DIR   # write elsewhere (the tests compare bytes)
"""

from __future__ import annotations

import argparse
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qprlib.rag import rag  # noqa: E402
from qprlib.trend import direction  # noqa: E402

COUNCIL = "Wealdshire County Council"
SEED = 2023_24_2  # one seed for the whole council; each indicator derives its own from its id
FIRST_MONTH_END = pd.Timestamp("2019-04-30")  # history starts 2019/20 Q1
LAST_MONTH_END = pd.Timestamp("2023-09-30")  # ... and ends 2023/24 Q2
YEARS = ("2019/20", "2020/21", "2021/22", "2022/23", "2023/24")
Q1_END, Q2_END = pd.Timestamp("2023-06-30"), pd.Timestamp("2023-09-30")
WINDOW = {"monthly": 24, "quarterly": 8}  # DESIGN.md: dot_window_months / dot_window_quarters
PER_YEAR = {"monthly": 12, "quarterly": 4}  # trend.direction's periods_per_year
ALPHA = 0.05
MAX_TRIES = 20_000
AR_PHI = 0.3  # month-to-month persistence of the noise, so charts look like real returns

# The awkward cases (data/README.md "Awkward cases").
MISSING = ("CS01", pd.Timestamp("2022-12-31"))  # a month never returned: the row is left out
NEW_KPI = "GL03"  # new in 2023/24: values from April 2023, targets for 2023/24 only
RETIRED_KPI = "HT05"  # retired at the end of 2022/23: values and targets to March 2023 only
NEW_FROM = pd.Timestamp("2023-04-30")
RETIRED_AFTER = pd.Timestamp("2023-03-31")

# Seed 001 (Kent CC Cabinet, 4 January 2024) and its previous quarter.
EXPECTED_RAG = {
    "2023/24 Q1": {"Green": 16, "Amber": 11, "Red": 11},
    "2023/24 Q2": {"Green": 15, "Amber": 15, "Red": 8},
}
EXPECTED_DIRECTION = {
    "2023/24 Q1": {"improving": 4, "stable": 24, "worsening": 10},
    "2023/24 Q2": {"improving": 7, "stable": 19, "worsening": 12},
}

CS, GL = "Customer Services", "Governance and Law"
GET = "Growth, Environment and Transport"
CYPE = "Children, Young People and Education"
ASC, PH = "Adult Social Care", "Public Health"
DIRECTORATE = {  # service area -> directorate
    CS: "Chief Executive's Department",
    GL: "Chief Executive's Department",
    GET: "Growth, Environment and Transport",
    CYPE: "Children, Young People and Education",
    ASC: "Adult Social Care and Health",
    PH: "Public Health",
}
DOT_WORD = {"I": "improving", "S": "stable", "W": "worsening"}
SIGN = {"higher": 1.0, "lower": -1.0, "none": 1.0}
DECIMALS = {"percent": 1, "rate": 1, "number": 0, "days": 0, "currency": 0}
UNIT_BOUNDS = {"percent": (0.0, 100.0)}  # other units: not negative


@dataclass(frozen=True)
class Kpi:
    """One key performance indicator and its plan for 2023/24 Q1 and Q2."""

    id: str
    area: str
    name: str
    polarity: str
    unit: str
    frequency: str
    start: float  # roughly the value in April 2019
    level: float  # roughly the value in September 2023
    noise: float  # standard deviation of the period-to-period noise
    gap: float  # the usual distance between target and floor
    rag: str  # planned ratings in Q1 and Q2, e.g. "AR" = Amber then Red
    dot: str  # planned directions in Q1 and Q2, e.g. "SW" = stable then worsening
    definition: str
    owner: str
    why: str  # what is driving performance (used when the KPI is Red or Amber)
    actions: tuple[str, str]  # management actions (the first for earlier quarters and Q1)
    fixed: tuple[float, float] | None = None  # (target, floor) held in every year
    boundary: str = ""  # "target" or "floor": the Q2 value sits exactly on it (inclusive rule)
    covid: float = 0.0  # change in 2020/21, in the direction of better performance

    @property
    def kind(self) -> str:
        return "kpi"


@dataclass(frozen=True)
class Activity:
    """One activity indicator (demand or context): no RAG, an expected range per year."""

    id: str
    area: str
    name: str
    unit: str
    frequency: str
    start: float
    level: float
    noise: float  # as a fraction of the level
    season: float  # seasonal swing as a fraction of the level (peak in `peak` month)
    peak: int
    alert: str  # planned position at 2023/24 Q2: above, below or within the expected range
    definition: str
    owner: str
    covid: float = 0.0  # fractional change in 2020/21 (e.g. -0.3 = 30% lower)

    polarity = "none"

    @property
    def kind(self) -> str:
        return "activity"


# fmt: off
KPIS: tuple[Kpi, ...] = (
    Kpi("CS01", CS, "Percentage of phone calls to Contact Point which were answered",
        "higher", "percent", "monthly", 88, 83, 1.6, 5, "RA", "SI",
        "Calls answered by Contact Point advisors as a percentage of all calls offered, "
        "excluding calls abandoned within 5 seconds.",
        "Head of Customer Services",
        "Call volumes remain high after the cost of living support scheme opened, and advisor "
        "vacancies have taken time to fill.",
        ("Recruit and train a further cohort of 12 advisors and move routine payment calls to "
         "the automated line.",
         "Keep the new cohort of advisors on the busiest lines and review staffing against "
         "the winter call forecast.")),
    Kpi("CS02", CS, "Percentage of complaints responded to within timescale",
        "higher", "percent", "monthly", 82, 71, 2.4, 5, "RR", "SS",
        "Complaints under the corporate complaints procedure answered within 20 working days "
        "(or an agreed extension), as a percentage of complaints closed in the month.",
        "Head of Customer Services",
        "Complaint numbers are 18% higher than last year and most late responses are in "
        "services with high caseloads.",
        ("Weekly tracking of open complaints with each directorate's complaints lead, and "
         "escalation to directors at day 15.",
         "Introduce a single complaints case system for all directorates and publish "
         "directorate league tables monthly to CMT."),
        fixed=(85, 80)),
    Kpi("CS03", CS, "Percentage of callers who rate the advisor who handled their call as good",
        "higher", "percent", "monthly", 97.0, 96.0, 0.6, 2, "AA", "SS",
        "Callers answering the post-call survey who rate their advisor good or very good.",
        "Head of Customer Services",
        "Satisfaction dips when waiting times rise; advisor-specific ratings remain high.",
        ("Coaching for new advisors on call handling.",
         "Share survey verbatims with team leaders weekly."),
        boundary="floor"),
    Kpi("CS04", CS, "Percentage of webchat conversations answered within 60 seconds",
        "higher", "percent", "monthly", 86, 91, 1.5, 5, "GG", "SS",
        "Webchat conversations picked up by an advisor within 60 seconds of the customer "
        "starting the chat.",
        "Head of Digital Customer Services",
        "Webchat demand grows as customers move from the phone.",
        ("Add webchat cover to the late shift.",
         "Use chatbot answers for the most common questions.")),
    Kpi("GL01", GL, "Percentage of Freedom of Information Act (FOI) requests completed within 20 "
        "working days", "higher", "percent", "monthly", 93, 89.5, 1.0, 2, "AR", "SW",
        "FOI and Environmental Information Regulations requests answered within the statutory "
        "20 working days, as a percentage of requests due in the month.",
        "Head of Information Governance",
        "Requests received keep rising and several complex requests needed searches across "
        "directorates.",
        ("Temporary staff moved into the Information Governance team and a triage of complex "
         "requests on the day they arrive.",
         "Publish the most requested datasets on the council's open data page to reduce repeat "
         "requests, and agree service response deadlines with each directorate."),
        fixed=(92, 90)),
    Kpi("GL02", GL, "Percentage of Data Protection Act (DPA) Subject Access requests completed "
        "within statutory timescales", "higher", "percent", "monthly", 82, 58, 2.5, 5, "RR", "WW",
        "Subject Access requests answered within one calendar month (or three where the "
        "extension applies), as a percentage of requests due in the month.",
        "Head of Information Governance",
        "Most requests now come from children's social care files, which run to thousands of "
        "pages and need careful redaction.",
        ("Two additional redaction officers recruited and redaction software procured.",
         "A backlog recovery plan with weekly reporting to the Senior Information Risk Owner; "
         "requests older than three months are being cleared first.")),
    Kpi("GL03", GL, "Percentage of Member enquiries responded to within 15 working days",
        "higher", "percent", "monthly", 84, 84, 2.0, 5, "AA", "SS",
        "Enquiries from elected Members logged on the Member enquiry system and answered within "
        "15 working days. New for 2023/24.",
        "Democratic Services Manager",
        "The new Member enquiry system went live in April 2023; some services are still "
        "learning to log and close enquiries on it.",
        ("Training for service leads on closing enquiries in the new system.",
         "Monthly reminders to services with overdue enquiries.")),
    Kpi("GT01", GET, "Developer contributions secured as a percentage of the amount sought",
        "higher", "percent", "quarterly", 93, 96, 1.3, 4, "AG", "SI",
        "Section 106 contributions agreed in signed legal agreements as a percentage of the "
        "amount the council asked for, in the quarter.",
        "Head of Growth and Communities",
        "A small number of large schemes with viability cases reduce the percentage secured.",
        ("Challenge viability assessments through the independent review panel.",
         "Earlier engagement with district councils on infrastructure needs.")),
    Kpi("GT02", GET, "Number of long-term empty homes brought back into use (No Use Empty)",
        "higher", "number", "quarterly", 95, 115, 9, 15, "GG", "SS",
        "Homes empty for six months or more brought back into use with No Use Empty loans or "
        "advice, in the quarter.",
        "Head of Growth and Communities",
        "Loan completions depend on builders' availability.",
        ("Promote the scheme through district council tax mailings.",
         "Extend loans to commercial-to-residential conversions.")),
    Kpi("GT03", GET, "Percentage of county matter planning applications determined within "
        "timescale", "higher", "percent", "monthly", 88, 91, 2.5, 10, "GG", "SS",
        "Minerals, waste and county council development applications determined within 13 "
        "weeks or an agreed extension.",
        "Head of Planning Applications",
        "Performance is consistently above target.",
        ("Keep the planning performance agreements in place.",
         "Review extension-of-time practice.")),
    Kpi("GT04", GET, "Greenhouse gas emissions from the council's estate and operations "
        "(tonnes CO2e, rolling 12 months)", "lower", "number", "quarterly", 33500, 24800, 350,
        1500, "GG", "II",
        "Scope 1 and 2 emissions from council buildings, street lighting and fleet, in tonnes "
        "of carbon dioxide equivalent over the last 12 months.",
        "Head of Environment",
        "Emissions continue to fall with LED street lighting and building decarbonisation.",
        ("Continue the building decarbonisation programme.",
         "Move the fleet to electric vehicles as leases end.")),
    Kpi("HT01", GET, "Percentage of routine pothole repairs completed within 28 days",
        "higher", "percent", "monthly", 93, 87, 1.2, 5, "GA", "WW",
        "Routine (non-emergency) pothole repairs completed within 28 calendar days of the "
        "defect being reported.",
        "Head of Highways Operations",
        "A wet spring and summer left more potholes than the contractor's gangs could repair "
        "within 28 days.",
        ("Extra find-and-fix gangs deployed in the worst-affected districts.",
         "Contractor recovery plan agreed, with weekly monitoring of work in progress older "
         "than 21 days.")),
    Kpi("HT02", GET, "Percentage of routine highway repairs reported by residents completed "
        "within 28 days", "higher", "percent", "monthly", 90, 86, 1.5, 4, "RA", "II",
        "Routine highway faults reported by the public (not only potholes) repaired within "
        "28 calendar days.",
        "Head of Highways Operations",
        "Drainage and signage faults were delayed by the contractor's resourcing problems "
        "earlier in the year.",
        ("Weekly contract meetings with the term maintenance contractor to clear older jobs.",
         "Keep the additional drainage crew until the backlog is cleared.")),
    Kpi("HT03", GET, "Percentage of emergency highway incidents attended within 2 hours",
        "higher", "percent", "monthly", 98.2, 98.5, 0.5, 2, "GG", "SS",
        "Emergency incidents on the highway (for example, fallen trees or serious defects) "
        "attended and made safe within 2 hours of being reported.",
        "Head of Highways Operations",
        "Emergency response remains reliable.",
        ("Keep the standby rota under review.", "None needed."),
        fixed=(98, 96)),
    Kpi("HT04", GET, "Percentage of satisfied callers for the Highways 100 call back survey",
        "higher", "percent", "monthly", 88, 89, 1.6, 5, "GG", "SS",
        "Residents who reported a highway fault and, when called back, said they were "
        "satisfied with how it was handled.",
        "Head of Highway Asset Management",
        "Satisfaction remains above target.",
        ("Continue the call back survey.", "Share results with the contractor.")),
    Kpi("HT05", GET, "Percentage of streetlight faults repaired within 28 days",
        "higher", "percent", "monthly", 91, 95, 1.5, 4, "", "",
        "Streetlight faults repaired within 28 calendar days. Retired at the end of 2022/23 "
        "once the LED conversion and central management system made faults rare.",
        "Head of Highway Asset Management",
        "Repairs are slower where a fault needs the electricity network operator.",
        ("Chase the network operator through the monthly liaison meeting.",
         "Retire the indicator once the LED conversion is complete.")),
    Kpi("WM01", GET, "Percentage of municipal waste recycled or composted",
        "higher", "percent", "quarterly", 48.5, 45.5, 0.5, 1.5, "GA", "WW",
        "Household and other municipal waste collected by the district councils or taken to "
        "Household Waste Recycling Centres that is recycled or composted (reported a quarter "
        "in arrears).",
        "Head of Waste Management",
        "Less garden waste after a dry summer and lighter packaging have reduced the tonnage "
        "recycled.",
        ("Joint campaign with the district councils on food waste recycling.",
         "Review of what the Household Waste Recycling Centres accept, to recycle more rigid "
         "plastics & wood.")),
    Kpi("WM02", GET, "Percentage of municipal waste sent to landfill",
        "lower", "percent", "monthly", 1.9, 2.6, 0.18, 1.0, "AA", "WW",
        "Municipal waste disposed of to landfill rather than recycled, composted or sent for "
        "energy recovery.",
        "Head of Waste Management",
        "The energy-from-waste plant's planned shutdown sent more residual waste to landfill.",
        ("Agree contingency capacity at a second energy-from-waste plant.",
         "Bring forward the plant's maintenance schedule to avoid summer shutdowns.")),
    Kpi("WM03", GET, "Percentage of waste recycled or composted at Household Waste Recycling "
        "Centres", "higher", "percent", "monthly", 67, 69, 1.2, 5, "GG", "SS",
        "Waste taken to the council's Household Waste Recycling Centres that is recycled, "
        "composted or reused.",
        "Head of Waste Management",
        "Site staff direct visitors to the right containers.",
        ("Keep the booking system at busy sites.", "Continue reuse shops at two sites.")),
    Kpi("CYPE01", CYPE, "Percentage of Education, Health Care Plans (EHCPs) issued within 20 "
        "weeks", "higher", "percent", "monthly", 58, 31, 0.8, 10, "RR", "WW",
        "New Education, Health and Care Plans issued within 20 weeks of the request for an "
        "assessment, over the last 12 months (rolling).",
        "Director of SEND and Inclusion",
        "Requests for EHC needs assessments are 12% higher than last year and educational "
        "psychologists' capacity remains the main constraint; the SEND & Inclusion service is "
        "prioritising the oldest cases, which lowers the in-time percentage.",
        ("Commission additional educational psychology assessments from independent providers.",
         "Recruit to the expanded educational psychology team, and track every plan past 16 "
         "weeks at a weekly panel chaired by the Director.")),
    Kpi("CYPE02", CYPE, "Percentage of annual EHCP reviews waiting over 12 months",
        "lower", "percent", "monthly", 9, 24, 1.0, 5, "RR", "WW",
        "Education, Health and Care Plans whose annual review is more than 12 months overdue, "
        "as a percentage of all plans maintained.",
        "Head of SEND Operations",
        "The number of plans maintained has grown by a fifth in two years while the annual "
        "review team has not.",
        ("A dedicated annual review team created from September.",
         "Schools to hold review meetings with council officers joining online, and weekly "
         "clearance targets for the reviews waiting longest.")),
    Kpi("CYPE03", CYPE, "Percentage of pupils (with EHCP's) being placed in independent or out "
        "of county special schools", "lower", "percent", "quarterly", 10.8, 12.6, 0.15, 1.0,
        "AR", "WW",
        "Pupils with an Education, Health and Care Plan whose placement is in an independent "
        "special school or a special school outside the county, at the quarter end.",
        "Head of SEND Operations",
        "Maintained special schools are full, so new placements increasingly go to independent "
        "providers.",
        ("Open satellite special school classes in mainstream secondary schools.",
         "Create 150 new maintained special school places by September 2024 and review every "
         "new independent placement at the commissioning panel.")),
    Kpi("CYPE04", CYPE, "Percentage of case holding posts filled by permanent qualified social "
        "workers", "higher", "percent", "monthly", 84, 77, 1.3, 5, "RR", "SS",
        "Case holding social work posts in children's social care filled by permanent "
        "qualified social workers (not agency staff), at the month end.",
        "Director of Children's Social Care",
        "Recruitment of experienced social workers remains difficult in a competitive market; "
        "agency staff cover the vacancies.",
        ("Launch of the social work academy for newly qualified social workers.",
         "A market supplement for hard-to-fill teams and an overseas recruitment campaign.")),
    Kpi("CYPE05", CYPE, "Percentage of Children in Care with 3 or more placements in the last "
        "12 months", "lower", "percent", "monthly", 8.6, 10.2, 0.35, 1.5, "AA", "WW",
        "Children in care at the month end who have had three or more placements in the last "
        "12 months.",
        "Director of Children's Social Care",
        "A shortage of in-house foster carers means more moves between placements.",
        ("Foster carer recruitment campaign.", "Placement stability meetings for children "
         "at risk of a third move.")),
    Kpi("CYPE06", CYPE, "Percentage of children's social care referrals that were repeat "
        "referrals within 12 months", "lower", "percent", "monthly", 21, 24.5, 1.0, 3, "RA",
        "SI",
        "Referrals to children's social care for a child referred within the previous 12 "
        "months, as a percentage of all referrals.",
        "Director of Children's Social Care",
        "Step-down to early help is not always holding, and some families are referred again.",
        ("Audit of repeat referrals to find the common causes.",
         "Joint step-down meetings between social work and early help teams.")),
    Kpi("CYPE07", CYPE, "Percentage of care leavers in education, employment or training",
        "higher", "percent", "monthly", 57, 59, 1.6, 5, "AA", "SS",
        "Care leavers aged 19 to 21 in education, employment or training.",
        "Head of Care Leavers Service",
        "Apprenticeship starts for care leavers were lower than planned.",
        ("Guaranteed interviews for care leavers for council apprenticeships.",
         "Work with colleges on flexible start dates.")),
    Kpi("CYPE08", CYPE, "Percentage of eligible two-year-olds taking up free early education",
        "higher", "percent", "quarterly", 74, 70, 1.2, 4, "GA", "SW",
        "Eligible two-year-olds (from the DWP list) taking up a funded early education place.",
        "Head of Early Years",
        "Fewer childcare places for two-year-olds are available after several nursery "
        "closures.",
        ("Targeted contact with families on the DWP list.",
         "Grants to childminders to offer funded places."),
        covid=-12),
    Kpi("CYPE09", CYPE, "Percentage of 16 to 17 year olds not in education, employment or "
        "training (NEET)", "lower", "percent", "monthly", 3.0, 2.6, 0.2, 1.0, "GG", "SS",
        "Young people aged 16 and 17 known to the council who are not in education, "
        "employment or training.",
        "Head of 14 to 19 Participation",
        "NEET levels remain low.",
        ("Continue tracking with schools and colleges.", "None needed.")),
    Kpi("CYPE10", CYPE, "Average number of days between a child entering care and moving in "
        "with their adoptive family", "lower", "days", "quarterly", 430, 410, 18, 60, "GG",
        "SS",
        "Average days, over the last three years, from a child entering care to moving in "
        "with the family who adopt them.",
        "Head of Fostering and Adoption",
        "Timeliness remains better than the national average.",
        ("Keep early permanence planning in place.", "None needed.")),
    Kpi("ASC01", ASC, "Percentage of new Care Needs Assessments delivered within 28 days",
        "higher", "percent", "monthly", 74, 61, 2.2, 10, "RR", "SS",
        "New Care Act needs assessments completed within 28 days of the person first "
        "contacting adult social care.",
        "Director of Adult Social Care Operations",
        "Demand for assessments is higher than before the pandemic and many people have more "
        "complex needs; waiting lists are longest in the west of the county.",
        ("Assessment clinics at weekends and use of an external provider for straightforward "
         "assessments.",
         "A trusted assessor model with occupational therapists and a review of every person "
         "waiting over 28 days, highest risk first.")),
    Kpi("ASC02", ASC, "Admissions to residential and nursing care for people aged 65 and over, "
        "per 100,000 population (rolling 12 months)", "lower", "rate", "quarterly", 560, 585,
        6, 40, "AA", "WW",
        "Permanent admissions of people aged 65 and over to residential and nursing care "
        "homes over the last 12 months, per 100,000 population aged 65 and over.",
        "Director of Adult Social Care Operations",
        "More people are leaving hospital with needs that can only be met in a care home.",
        ("Review every permanent admission at the placement panel.",
         "Expand the discharge-to-assess beds so people can recover before decisions are "
         "made.")),
    Kpi("ASC03", ASC, "Percentage of older people still at home 91 days after discharge from "
        "hospital into reablement", "higher", "percent", "quarterly", 84, 81, 1.0, 3, "RA",
        "SS",
        "People aged 65 and over discharged from hospital into reablement or rehabilitation "
        "who are still at home 91 days later.",
        "Head of Enablement Services",
        "People are leaving hospital sooner and with higher needs.",
        ("Therapy-led reviews at day 42 for people at risk of readmission.",
         "Joint working with community health teams on falls prevention.")),
    Kpi("ASC04", ASC, "Percentage of safeguarding enquiries where the risk was reduced or "
        "removed", "higher", "percent", "monthly", 91, 93, 1.2, 5, "GG", "SS",
        "Section 42 safeguarding enquiries concluded in the month where the risk was reduced "
        "or removed.",
        "Head of Adult Safeguarding",
        "Performance remains above target.",
        ("Continue the quality assurance audit.", "None needed.")),
    Kpi("ASC05", ASC, "Percentage of people receiving long-term support who receive a direct "
        "payment", "higher", "percent", "monthly", 27, 24.5, 0.25, 2, "GA", "WW",
        "People receiving long-term community support who take some or all of it as a direct "
        "payment, at the month end.",
        "Head of Commissioning (Adults)",
        "Fewer personal assistants are available, so more people choose council-arranged care.",
        ("Personal assistant recruitment campaign with the local care association.",
         "A pre-paid card to make direct payments easier to manage.")),
    Kpi("ASC06", ASC, "Percentage of council-commissioned care homes rated Good or Outstanding "
        "by the CQC", "higher", "percent", "quarterly", 80, 83, 0.9, 5, "GG", "SS",
        "Care homes the council places people in that are rated Good or Outstanding by the "
        "Care Quality Commission at the quarter end.",
        "Head of Commissioning (Adults)",
        "Quality ratings remain above target.",
        ("Continue quality visits.", "None needed.")),
    Kpi("PH01", PH, "Number of people receiving an NHS Health Check (rolling 12 months)",
        "higher", "number", "quarterly", 27500, 31500, 450, 2500, "AG", "II",
        "Eligible residents aged 40 to 74 who received an NHS Health Check in the last 12 "
        "months.",
        "Consultant in Public Health",
        "Health Checks were paused in 2020 and GP practices are still catching up.",
        ("Outreach Health Checks in community venues.",
         "Incentive payments to GP practices in the most deprived areas."),
        covid=-22000),
    Kpi("PH02", PH, "Percentage of first-time patients at sexual health clinics offered a full "
        "sexual health screen", "higher", "percent", "monthly", 93, 94.5, 0.9, 3, "GG", "SS",
        "First-time patients attending sexual health clinics who were offered a full screen "
        "for sexually transmitted infections.",
        "Consultant in Public Health",
        "Performance remains above target.",
        ("Continue contract monitoring.", "None needed."),
        boundary="target"),
    Kpi("PH03", PH, "Percentage of new birth visits delivered within 14 days",
        "higher", "percent", "monthly", 90, 88, 0.8, 2, "RG", "II",
        "New birth visits by the health visiting service within 14 days of birth.",
        "Consultant in Public Health",
        "Health visitor vacancies delayed visits earlier in the year.",
        ("Weekend visiting clinics while vacancies are filled.",
         "Keep the weekend clinics until the new health visitors are in post.")),
    Kpi("PH04", PH, "Percentage of people setting a quit date who have quit smoking at 4 weeks",
        "higher", "percent", "quarterly", 54, 55, 1.8, 5, "AA", "SS",
        "People setting a quit date with the stop smoking service who have not smoked at the "
        "4-week follow-up (self-reported).",
        "Consultant in Public Health",
        "Quit rates are lower among routine and manual workers, who are now the focus of the "
        "service.",
        ("Extra support in workplaces with high smoking rates.",
         "Vape starter kits offered as part of the swap to stop scheme.")),
)

ACTIVITIES: tuple[Activity, ...] = (
    Activity("CSA01", CS, "Number of calls to Contact Point", "number", "monthly",
             61000, 64000, 0.04, 0.08, 1, "within",
             "Calls offered to Contact Point in the month, including calls later abandoned.",
             "Head of Customer Services", covid=-0.2),
    Activity("CSA02", CS, "Number of visits to the council website", "number", "monthly",
             1_150_000, 1_020_000, 0.035, 0.07, 1, "below",
             "Visits (sessions) to the council's website in the month.",
             "Head of Digital Customer Services", covid=0.25),
    Activity("GLA01", GL, "Number of FOI and EIR requests received", "number", "monthly",
             180, 265, 0.05, 0.05, 10, "above",
             "Freedom of Information and Environmental Information Regulations requests "
             "received in the month.",
             "Head of Information Governance", covid=-0.25),
    Activity("GTA01", GET, "Developer contributions received", "currency", "quarterly",
             9_500_000, 11_000_000, 0.12, 0.0, 1, "within",
             "Section 106 money received from developers in the quarter, in pounds.",
             "Head of Growth and Communities", covid=-0.3),
    Activity("HTA01", GET, "Number of highway faults reported by the public", "number",
             "monthly", 9500, 10500, 0.06, 0.18, 2, "within",
             "Highway faults (potholes, drainage, signs, vegetation) reported online or by "
             "phone in the month.",
             "Head of Highways Operations"),
    Activity("HTA02", GET, "Number of potholes scheduled for repair", "number", "monthly",
             3600, 4300, 0.05, 0.12, 2, "within",
             "Potholes added to the repair programme in the month.",
             "Head of Highways Operations"),
    Activity("WMA01", GET, "Tonnes of waste taken to Household Waste Recycling Centres",
             "number", "monthly", 11500, 10800, 0.04, 0.2, 7, "within",
             "Waste brought to the council's Household Waste Recycling Centres, in tonnes.",
             "Head of Waste Management", covid=-0.35),
    Activity("CYPEA01", CYPE, "Number of requests for an EHC needs assessment", "number",
             "monthly", 330, 560, 0.05, 0.08, 6, "above",
             "Requests for an Education, Health and Care needs assessment received in the "
             "month.",
             "Head of SEND Operations"),
    Activity("CYPEA02", CYPE, "Number of children in care", "number", "quarterly",
             1650, 1740, 0.012, 0.0, 1, "within",
             "Children in the council's care at the quarter end (excluding unaccompanied "
             "asylum-seeking children).",
             "Director of Children's Social Care"),
    Activity("ASCA01", ASC, "Number of contacts to adult social care", "number", "monthly",
             7600, 9200, 0.03, 0.04, 1, "above",
             "Contacts to the adult social care front door in the month.",
             "Director of Adult Social Care Operations"),
    Activity("ASCA02", ASC, "Number of people in residential or nursing care", "number",
             "quarterly", 5300, 5150, 0.01, 0.0, 1, "within",
             "People funded by the council in residential or nursing care at the quarter end.",
             "Head of Commissioning (Adults)", covid=-0.08),
    Activity("PHA01", PH, "Number of attendances at sexual health clinics", "number",
             "quarterly", 21000, 18500, 0.04, 0.03, 9, "below",
             "Attendances at the council-commissioned sexual health clinics in the quarter.",
             "Consultant in Public Health", covid=-0.45),
)
# fmt: on

SERVICE_AREA_ORDER = (CS, GL, GET, CYPE, ASC, PH)  # seed 001's order


# --- periods -----------------------------------------------------------------------------


def period_ends(frequency: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    """Every month end (monthly) or quarter end (quarterly) from first to last inclusive."""
    months = pd.date_range(first, last, freq="ME")
    if frequency == "quarterly":
        months = months[months.month % 3 == 0]
    return months


def financial_year(day: pd.Timestamp) -> str:
    """'2023/24' for any date from April 2023 to March 2024."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def quarter_of(day: pd.Timestamp) -> str:
    """'2023/24 Q2' for any date from July to September 2023."""
    return f"{financial_year(day)} Q{(day.month - 4) % 12 // 3 + 1}"


def quarter_end(label: str) -> pd.Timestamp:
    """The last day of a quarter such as '2023/24 Q2'."""
    start, number = int(label[:4]), int(label[-1])
    month = 3 + 3 * number
    return pd.Timestamp(start + (month - 1) // 12, (month - 1) % 12 + 1, 1) + pd.offsets.MonthEnd()


def quarters(first: str = "2019/20 Q1", last: str = "2023/24 Q2") -> list[str]:
    """Quarter labels from first to last inclusive."""
    ends = pd.date_range(quarter_end(first), quarter_end(last), freq="QE-MAR")
    return [quarter_of(day) for day in ends]


def kpi_dates(kpi: Kpi | Activity) -> pd.DatetimeIndex:
    """The periods an indicator has values for (the new and retired KPIs are shorter)."""
    first = NEW_FROM if kpi.id == NEW_KPI else FIRST_MONTH_END
    last = RETIRED_AFTER if kpi.id == RETIRED_KPI else LAST_MONTH_END
    return period_ends(kpi.frequency, first, last)


# --- numbers as published ------------------------------------------------------------------


def round_as_published(values: np.ndarray, unit: str) -> np.ndarray:
    """Round as the council publishes: percents and rates to 1 dp, counts to whole numbers."""
    low, high = UNIT_BOUNDS.get(unit, (0.0, None))
    return np.round(np.clip(values, low, high), DECIMALS[unit])


def show_number(x: float, unit: str | None = None) -> str:
    """A figure as written in the CSV files: values at their unit's decimals, targets short."""
    if pd.isna(x):
        return ""
    if unit is not None:
        return f"{x:.{DECIMALS[unit]}f}"
    return f"{x:.4f}".rstrip("0").rstrip(".")


def in_words(x: float, unit: str) -> str:
    """A figure as written in commentary: 54.3%, 1,250, 412 days, 561.2, £1,250."""
    if unit == "percent":
        return f"{x:.1f}%"
    if unit == "days":
        return f"{x:,.0f} days"
    if unit == "rate":
        return f"{x:,.1f}"
    if unit == "currency":
        return f"£{x:,.0f}"
    return f"{x:,.0f}"


def nice_step(gap: float) -> float:
    """A round step for targets: about a fifth of the target-floor gap (1, 2 or 5 x 10^k)."""
    raw = gap / 5
    power = 10 ** np.floor(np.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * power >= raw * 0.99:
            return float(multiple * power)
    return float(10 * power)


def snap(x: float, step: float) -> float:
    """x rounded to the nearest multiple of step, as a clean decimal."""
    return float(f"{round(x / step) * step:.4f}")


# --- series --------------------------------------------------------------------------------


def rng_for(indicator_id: str, attempt: int) -> np.random.Generator:
    """A generator seeded from the council seed, the indicator's id and the attempt number."""
    return np.random.default_rng([SEED, zlib.crc32(indicator_id.encode()), attempt])


def ar_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unit-variance AR(1) noise."""
    shocks = rng.standard_normal(n)
    out = np.empty(n)
    out[0] = shocks[0]
    for i in range(1, n):
        out[i] = AR_PHI * out[i - 1] + np.sqrt(1 - AR_PHI**2) * shocks[i]
    return out


def covid_profile(dates: pd.DatetimeIndex) -> np.ndarray:
    """1 in April-June 2020, easing to 0 by April 2021: the pandemic's effect on a service."""
    months = (dates.year - 2020) * 12 + dates.month - 4  # 0 = April 2020
    return np.clip(np.where(months < 0, 0.0, 1 - (months - 2) / 10), 0.0, 1.0)


def slope_for(plan: str, frequency: str, rng: np.random.Generator) -> float:
    """Slope per period, in noise units and the 'better' direction, for a direction plan."""
    per_quarter = 3 if frequency == "monthly" else 1
    if plan in ("II", "WW"):
        slope = rng.uniform(0.4, 0.8) if frequency == "quarterly" else rng.uniform(0.08, 0.16)
    elif plan in ("SI", "SW"):
        slope = rng.uniform(0.15, 0.6) if frequency == "quarterly" else rng.uniform(0.03, 0.1)
    else:
        slope = rng.uniform(-0.04, 0.04) * per_quarter
    return -slope if plan.endswith("W") else slope


def draw_kpi(kpi: Kpi, dates: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """A KPI's values: a straight line from `start` to the recent trend, then noise."""
    n = len(dates)
    sign = SIGN[kpi.polarity]
    slope = slope_for(kpi.dot or "SS", kpi.frequency, rng) * kpi.noise * sign
    monthly = kpi.frequency == "monthly"
    steady = kpi.dot in ("II", "WW", "SS", "")
    low, high = ((27, 37) if steady else (8, 24)) if monthly else ((9, 12) if steady else (3, 8))
    recent = min(int(rng.integers(low, high)), n)
    t = np.arange(n, dtype=float)
    line = kpi.level + slope * (t - (n - 1))
    bend = n - recent
    if bend > 0:
        line[:bend] = np.interp(t[:bend], [0, bend], [kpi.start, line[bend]])
    line = line + sign * kpi.covid * covid_profile(dates)
    return round_as_published(line + kpi.noise * ar_noise(rng, n), kpi.unit)


def draw_activity(act: Activity, dates: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """An activity series: trend from start to level, seasonal swing, pandemic change, noise."""
    n = len(dates)
    line = np.linspace(act.start, act.level, n)
    season = 1 + act.season * np.cos(2 * np.pi * (dates.month - act.peak) / 12)
    pandemic = 1 + act.covid * covid_profile(dates)
    noise = 1 + act.noise * ar_noise(rng, n)
    return round_as_published(line * season * pandemic * noise, act.unit)


def with_gap(kpi: Kpi | Activity, dates: pd.DatetimeIndex, values: np.ndarray) -> np.ndarray:
    """The values with the missing month (an awkward case) blanked."""
    if kpi.id != MISSING[0]:
        return values
    return np.where(dates == MISSING[1], np.nan, values)


def series_to(dates: pd.DatetimeIndex, values: np.ndarray, end: pd.Timestamp) -> np.ndarray:
    """Values up to and including `end`, oldest first (every period present, gaps as NaN)."""
    return values[dates <= end]


def value_at(dates: pd.DatetimeIndex, values: np.ndarray, label: str) -> float:
    """The latest non-missing value dated within a quarter."""
    end = quarter_end(label)
    inside = (dates <= end) & (dates > end - pd.offsets.MonthEnd(3)) & ~np.isnan(values)
    return float(values[inside][-1]) if inside.any() else np.nan


def directions_ok(kpi: Kpi, dates: pd.DatetimeIndex, values: np.ndarray) -> bool:
    """True when qprlib.trend.direction gives the planned directions at Q1 and Q2 2023/24."""
    for end, planned in zip((Q1_END, Q2_END), kpi.dot, strict=True):
        got = direction(
            series_to(dates, values, end),
            kpi.polarity,
            window=WINDOW[kpi.frequency],
            alpha=ALPHA,
            periods_per_year=PER_YEAR[kpi.frequency],
        )
        if got != DOT_WORD[planned]:
            return False
    return True


# --- targets ---------------------------------------------------------------------------------


def rate_good(g: float, target: float, floor: float) -> str:
    """RAG letter in the 'better is bigger' orientation."""
    return "G" if g >= target else "A" if g >= floor else "R"


def earlier_targets(
    kpi: Kpi, dates: pd.DatetimeIndex, values: np.ndarray, rng: np.random.Generator
) -> dict[str, tuple[float, float]]:
    """Targets and floors for the years before 2023/24: last year's result plus some stretch.

    Some years keep the previous year's target (not every target is reset every year).
    """
    if kpi.fixed:
        return {y: kpi.fixed for y in YEARS[:-1] if y in set(map(financial_year, dates))}
    sign, step = SIGN[kpi.polarity], nice_step(kpi.gap)
    years = np.array([financial_year(d) for d in dates])
    out: dict[str, tuple[float, float]] = {}
    previous = None
    for i, year in enumerate(YEARS[:-1]):
        if year not in years:
            continue
        basis_year = YEARS[i - 1] if i and YEARS[i - 1] in years else year
        basis = np.nanmean(sign * values[years == basis_year])
        # The first year's targets were set against that year's own (unknown) results: harder.
        stretch = rng.uniform(-1.0, 1.8) * kpi.noise if i else rng.uniform(-0.5, 2.5) * kpi.noise
        keep = previous is not None and rng.random() < 0.3
        if keep:
            out[year] = previous
        else:
            target_good = snap(basis + stretch, step)
            out[year] = (sign * target_good, sign * snap(target_good - kpi.gap, step))
        previous = out[year]
    return {year: bounded(kpi, pair) for year, pair in out.items()}


def bounded(kpi: Kpi, pair: tuple[float, float]) -> tuple[float, float]:
    """Target and floor kept within the unit's limits (percents 0-100)."""
    low, high = UNIT_BOUNDS.get(kpi.unit, (0.0, None))
    return tuple(float(np.clip(x, low, high)) for x in pair)  # type: ignore[return-value]


def solve_targets(
    kpi: Kpi, q1: float, q2: float, previous: tuple[float, float] | None, fine: bool = False
) -> tuple[float, float] | None:
    """2023/24 target and floor that rate q1 and q2 as planned, as close to last year's as can be.

    Targets are multiples of a round step (finer steps only when `fine`). Returns None when no
    such target and floor give the planned ratings.
    """
    sign = SIGN[kpi.polarity]
    g1, g2 = sign * q1, sign * q2
    if kpi.fixed:
        target, floor = (sign * x for x in kpi.fixed)
        got = rate_good(g1, target, floor) + rate_good(g2, target, floor)
        return kpi.fixed if got == kpi.rag else None
    prev_t, prev_f = (sign * x for x in previous) if previous else (max(g1, g2), max(g1, g2))
    best, best_score = None, np.inf
    coarse = nice_step(kpi.gap)
    for step in (coarse, coarse / 5) if fine else (coarse,):
        lowest, highest = min(g1, g2) - 3 * kpi.gap, max(g1, g2) + 3 * kpi.gap
        for k in range(int(np.floor(lowest / step)), int(np.ceil(highest / step)) + 1):
            target = float(f"{k * step:.4f}")
            for ratio in (1.0, 0.8, 1.2, 0.6, 1.5, 0.5, 2.0):
                floor = float(f"{target - max(step, snap(kpi.gap * ratio, step)):.4f}")
                if rate_good(g1, target, floor) + rate_good(g2, target, floor) != kpi.rag:
                    continue
                if bounded(kpi, (sign * target, sign * floor)) != (sign * target, sign * floor):
                    continue
                if kpi.boundary and g2 != {"target": target, "floor": floor}[kpi.boundary]:
                    continue
                score = (
                    abs(target - prev_t) + abs(floor - prev_f) + abs(target - floor - kpi.gap)
                ) / kpi.gap
                if score < best_score - 1e-9:
                    best, best_score = (sign * target, sign * floor), score
        if best is not None:
            return best
    return None


# --- generation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    """One indicator's generated values and its targets (or expected ranges) by year."""

    dates: pd.DatetimeIndex
    values: np.ndarray  # NaN where a month is missing
    targets: dict[str, tuple[float, float]]  # year -> (target, floor) or (lower, upper)
    attempt: int


def generate_kpi(kpi: Kpi) -> Generated:
    """Draw until the planned 2023/24 directions and ratings come out (deterministic)."""
    dates = kpi_dates(kpi)
    for attempt in range(MAX_TRIES):
        rng = rng_for(kpi.id, attempt)
        values = with_gap(kpi, dates, draw_kpi(kpi, dates, rng))
        targets = earlier_targets(kpi, dates, values, rng)
        if kpi.id == RETIRED_KPI:
            return Generated(dates, values, targets, attempt)
        if not directions_ok(kpi, dates, values):
            continue
        q1, q2 = value_at(dates, values, "2023/24 Q1"), value_at(dates, values, "2023/24 Q2")
        fine = attempt >= MAX_TRIES // 4  # round targets first; finer steps if none fit
        solved = solve_targets(kpi, q1, q2, targets.get("2022/23"), fine)
        if solved is not None:
            return Generated(dates, values, {**targets, "2023/24": solved}, attempt)
    raise SystemExit(f"generate_sample: no series for {kpi.id} in {MAX_TRIES} tries")


def expected_range(act: Activity, basis: np.ndarray) -> tuple[float, float]:
    """An expected range from a year's values: the mean plus or minus 1.5 standard deviations
    (at least 6%), rounded outwards to a round step."""
    mean = float(np.mean(basis))
    half = max(0.06 * mean, 1.5 * float(np.std(basis)))
    step = nice_step(half)
    return step * np.floor((mean - half) / step), step * np.ceil((mean + half) / step)


def alert(value: float, lower: float, upper: float) -> str:
    """Where a value sits against an expected range (inclusive: on a bound is within)."""
    return "above" if value > upper else "below" if value < lower else "within"


def activity_ranges(
    act: Activity, dates: pd.DatetimeIndex, values: np.ndarray
) -> dict[str, tuple[float, float]]:
    """Each year's expected range, from the previous year's values (the first year: its own)."""
    years = np.array([financial_year(d) for d in dates])
    ranges = {}
    for i, year in enumerate(YEARS):
        basis = values[years == (YEARS[i - 1] if i else year)]
        ranges[year] = tuple(float(f"{x:.4f}") for x in expected_range(act, basis))
    return ranges  # type: ignore[return-value]


def generate_activity(act: Activity) -> Generated:
    """Draw until Q2 2023/24 falls where planned against the range from 2022/23's values.

    If no draw does, the 2023/24 range is moved (keeping its width) so that it does.
    """
    dates = kpi_dates(act)
    for attempt in range(MAX_TRIES // 20):
        values = draw_activity(act, dates, rng_for(act.id, attempt))
        ranges = activity_ranges(act, dates, values)
        q2 = value_at(dates, values, "2023/24 Q2")
        if alert(q2, *ranges["2023/24"]) == act.alert:
            return Generated(dates, values, ranges, attempt)
    lower, upper = ranges["2023/24"]
    width, step = upper - lower, nice_step(upper - lower)
    if act.alert == "above":
        upper = step * np.floor(q2 * 0.97 / step)
        lower = upper - width
    elif act.alert == "below":
        lower = step * np.ceil(q2 * 1.03 / step)
        upper = lower + width
    else:
        lower = min(lower, step * np.floor(q2 * 0.95 / step))
        upper = max(upper, step * np.ceil(q2 * 1.05 / step))
    ranges["2023/24"] = (float(f"{lower:.4f}"), float(f"{upper:.4f}"))
    return Generated(dates, values, ranges, attempt)


# --- commentary ------------------------------------------------------------------------------

# Written commentary for 2023/24 Q1 and Q2 ({value} etc. are filled from the data).
# Every KPI Red in either quarter has commentary and a management action.
NOTES: dict[tuple[str, str], str] = {
    ("CS01", "2023/24 Q1"): "{value} of calls were answered in {month}, below the floor "
    "standard of {floor}. {why}",
    ("CS01", "2023/24 Q2"): "Call answering improved to {value} in {month} (from {last_value} in "
    "{last_month}) as new advisors completed training, and is now above the floor "
    "standard though still short of the {target} target.",
    ("CS02", "2023/24 Q1"): "{value} of complaints were responded to within timescale in "
    "{month} against a floor standard of {floor}. {why}",
    ("CS02", "2023/24 Q2"): "Performance was {value} in {month}, below the floor standard of "
    "{floor}, with no clear trend over the last two years. {why}",
    ("GL01", "2023/24 Q1"): "{value} of FOI requests were completed within 20 working days in "
    "{month}: above the floor standard but short of the {target} target.",
    ("GL01", "2023/24 Q2"): "Performance fell to {value} in {month} (from {last_value} in "
    "{last_month}), below the {floor} floor standard, and the trend is now downward. "
    "{why}",
    ("GL02", "2023/24 Q1"): "{value} of Subject Access requests were completed within the "
    "statutory timescale in {month}. {why}",
    ("GL02", "2023/24 Q2"): "Performance was {value} in {month} and has been falling for two "
    "years. {why} Requests received are up 20% on last year.",
    ("GL03", "2023/24 Q2"): "{value} of Member enquiries were answered within 15 working days "
    "in {month}. {why}",
    ("GT01", "2023/24 Q2"): "{value} of the contributions sought were secured this quarter, "
    "meeting the target of {target} after an Amber first quarter.",
    ("HT01", "2023/24 Q2"): "{value} of routine pothole repairs were completed within 28 days "
    "in {month}, {movement} and below the {target} target. {why}",
    ("HT02", "2023/24 Q1"): "{value} of routine repairs were completed within 28 days in "
    "{month}, below the {floor} floor standard, although the trend is improving. {why}",
    ("HT02", "2023/24 Q2"): "Performance improved to {value} in {month}, above the floor "
    "standard, as older jobs were cleared.",
    ("WM01", "2023/24 Q2"): "The recycling rate was {value} this quarter, below the {target} "
    "target and continuing a downward trend. {why}",
    ("CYPE01", "2023/24 Q1"): "Over the 12 months to {month}, {value} of EHCPs were issued "
    "within 20 weeks, against a floor standard of {floor}. {why}",
    ("CYPE01", "2023/24 Q2"): "Over the 12 months to {month}, {value} of EHCPs were issued "
    "within 20 weeks ({movement}). {why}",
    ("CYPE02", "2023/24 Q1"): "{value} of annual reviews were waiting over 12 months at the "
    "end of {month}, above the floor standard of {floor}. {why}",
    ("CYPE02", "2023/24 Q2"): "{value} of annual reviews were waiting over 12 months at the "
    "end of {month} and the trend is worsening. {why}",
    ("CYPE03", "2023/24 Q1"): "{value} of pupils with an EHCP were placed in independent or "
    "out of county special schools at the end of {month}, meeting the floor standard of {floor} "
    "but not the {target} target.",
    ("CYPE03", "2023/24 Q2"): "The percentage rose to {value} at the end of {month} (from "
    "{last_value} in {last_month}), above the floor standard of {floor}. {why}",
    ("CYPE04", "2023/24 Q1"): "{value} of case holding posts were filled by permanent "
    "qualified social workers at the end of {month}. {why}",
    ("CYPE04", "2023/24 Q2"): "{value} of posts were filled by permanent social workers at the "
    "end of {month}, below the {floor} floor standard; the first academy cohort of newly "
    "qualified social workers starts in October.",
    ("CYPE06", "2023/24 Q1"): "{value} of referrals in {month} were repeat referrals within 12 "
    "months, above the floor standard of {floor}. {why}",
    ("CYPE06", "2023/24 Q2"): "Repeat referrals fell to {value} in {month}, within the floor "
    "standard, and the trend is now improving.",
    ("CYPE08", "2023/24 Q2"): "Take-up fell to {value} this quarter, below the {target} target. "
    "{why}",
    ("ASC01", "2023/24 Q1"): "{value} of new Care Needs Assessments were delivered within 28 "
    "days in {month}, against a floor standard of {floor}. {why}",
    ("ASC01", "2023/24 Q2"): "Performance was {value} in {month}, still below the {floor} floor "
    "standard. {why}",
    ("ASC03", "2023/24 Q1"): "{value} of older people were still at home 91 days after "
    "discharge this quarter, below the floor standard of {floor}. {why}",
    ("ASC03", "2023/24 Q2"): "Performance recovered to {value}, above the floor standard but "
    "below the {target} target.",
    ("ASC05", "2023/24 Q2"): "{value} of people receiving long-term support had a direct "
    "payment at the end of {month}, below the {target} target. {why}",
    ("PH03", "2023/24 Q1"): "{value} of new birth visits were within 14 days in {month}, below "
    "the floor standard of {floor}. {why}",
    ("PH03", "2023/24 Q2"): "Performance improved to {value} in {month}, meeting the {target} "
    "target, with weekend clinics in place while vacancies are filled.",
}
RETIRED_NOTE = (
    "This indicator is retired at the end of 2022/23: with the LED conversion complete and "
    "faults reported automatically, repair times are now monitored in the street lighting "
    "contract instead."
)
MISSING_NOTE = (
    "December's figure is not available: the telephony system's reporting failed during the "
    "upgrade and the month's data could not be recovered. November's figure ({value}) is shown."
)
GENERIC_QUARTERS = ("2022/23 Q3", "2022/23 Q4")  # earlier quarters given commentary for Reds
GENERIC_RED_NOTE = "Performance was {value} in {month} against a floor standard of {floor}. {why}"


def previous_quarter(label: str) -> str:
    """'2023/24 Q1' for '2023/24 Q2'; '2022/23 Q4' for '2023/24 Q1'."""
    return quarter_of(quarter_end(label) - pd.offsets.MonthEnd(3))


def note_fields(
    kpi: Kpi, gen: Generated, quarter: str, targets: tuple[float, float]
) -> dict[str, str]:
    """The figures a commentary template may use, written as in the report."""
    end = quarter_end(quarter)
    present = (gen.dates <= end) & ~np.isnan(gen.values)
    dates, values = gen.dates[present], gen.values[present]
    value, last = values[-1], value_at(dates, values, previous_quarter(quarter))
    before = dates[dates <= quarter_end(previous_quarter(quarter))]
    last_month = before[-1].strftime("%B") if len(before) else "the previous quarter"
    change = "up" if value > last else "down" if value < last else "unchanged"
    return {
        "value": in_words(value, kpi.unit),
        "month": dates[-1].strftime("%B"),
        "last_value": in_words(last, kpi.unit),
        "last_month": last_month,
        "movement": f"{change} from {in_words(last, kpi.unit)} in {last_month}",
        "target": in_words(targets[0], kpi.unit),
        "floor": in_words(targets[1], kpi.unit),
        "why": kpi.why,
    }


def commentary_rows(generated: dict[str, Generated]) -> list[dict[str, str]]:
    """commentary.csv: written notes for 2023/24 Q1-Q2, and Reds in the quarters before."""
    rows = []
    for kpi in KPIS:
        gen = generated[kpi.id]
        for quarter in (*GENERIC_QUARTERS, "2023/24 Q1", "2023/24 Q2"):
            year = quarter[:7]
            if year not in gen.targets:
                continue
            targets = gen.targets[year]
            value = value_at(gen.dates, gen.values, quarter)
            red = rag(value, targets[0], targets[1], kpi.polarity) == "Red"
            fields = note_fields(kpi, gen, quarter, targets)
            template = NOTES.get((kpi.id, quarter)) or (GENERIC_RED_NOTE if red else "")
            if kpi.id == RETIRED_KPI and quarter == GENERIC_QUARTERS[-1]:
                template = f"{template} {RETIRED_NOTE}".strip()
            if kpi.id == MISSING[0] and quarter == quarter_of(MISSING[1]):
                template = f"{template} {MISSING_NOTE}".strip()
            if not template:
                continue
            action = kpi.actions[1 if quarter == "2023/24 Q2" else 0] if red else ""
            rows.append(
                {
                    "id": kpi.id,
                    "quarter": quarter,
                    "commentary": template.format(**fields),
                    "action": action,
                    "author": kpi.owner,
                }
            )
    return rows


# --- milestones (Halton style) ------------------------------------------------------------------

# (directorate, objective, milestone, due, status in Q1, status in Q2, Q1 commentary, Q2 ...)
# fmt: off
MILESTONES = (
    ("Chief Executive's Department", "Make it easier for residents to contact the council",
     "Replace the Contact Point telephony platform", "2023-09-30", "on_track", "complete",
     "Supplier appointed and testing under way.",
     "The new platform went live on 18 September, with call-back and queue messages."),
    ("Chief Executive's Department", "Make it easier for residents to contact the council",
     "Launch a single online account for residents", "2024-03-31", "on_track", "uncertain",
     "Design complete; build started in June.",
     "Integration with the council tax systems of two district councils is behind schedule."),
    ("Chief Executive's Department", "Meet our information rights duties",
     "Clear Subject Access requests older than three months", "2023-12-31",
     "uncertain", "off_track",
     "Two redaction officers recruited; the backlog is stable rather than falling.",
     "The backlog grew over the summer as children's social care requests rose; a recovery "
     "plan goes to CMT in November."),
    ("Chief Executive's Department", "Meet our information rights duties",
     "Publish the top 20 requested datasets as open data", "2023-12-31", "on_track", "on_track",
     "Datasets identified with services.",
     "Twelve datasets published so far."),
    ("Growth, Environment and Transport", "Keep the county's roads safe and well maintained",
     "Complete the 2023 pothole blitz programme", "2023-09-30", "on_track", "complete",
     "Programme started in May across all districts.",
     "Programme completed: 11,400 potholes repaired & 38 roads resurfaced."),
    ("Growth, Environment and Transport", "Keep the county's roads safe and well maintained",
     "Consult on the fifth Local Transport Plan", "2023-12-31", "on_track", "on_track",
     "Draft plan with Cabinet Member.",
     "Consultation to open in November."),
    ("Growth, Environment and Transport", "Reduce waste and carbon",
     "Open the new Household Waste Recycling Centre at Ashworth", "2024-03-31",
     "uncertain", "uncertain",
     "Planning consent granted; contractor still to be appointed.",
     "Contract awarded; the opening date depends on the electricity connection."),
    ("Growth, Environment and Transport", "Reduce waste and carbon",
     "Adopt the updated Net Zero Action Plan", "2023-06-30", "complete", "complete",
     "Adopted by Cabinet in June.",
     "Delivery reported quarterly to the Environment Committee."),
    ("Children, Young People and Education", "Improve the timeliness of SEND assessments",
     "Recruit ten additional educational psychologists", "2023-09-30", "uncertain", "off_track",
     "Four of ten posts filled.",
     "Six of ten posts filled; the remaining posts are being covered by locum psychologists."),
    ("Children, Young People and Education", "Improve the timeliness of SEND assessments",
     "Clear annual EHCP reviews waiting over 12 months", "2024-03-31", "uncertain", "off_track",
     "A dedicated annual review team is being recruited.",
     "The number of overdue reviews is still rising; the team starts in October."),
    ("Children, Young People and Education", "More children educated close to home",
     "Open 150 new special school places", "2024-09-30", "on_track", "on_track",
     "Sites agreed at three special schools.",
     "Building work started at two sites."),
    ("Children, Young People and Education", "A stable, permanent social work workforce",
     "Launch the social work academy", "2023-10-31", "on_track", "on_track",
     "Academy programme designed with two universities.",
     "First cohort of 24 newly qualified social workers appointed."),
    ("Adult Social Care and Health", "People assessed promptly when they need care",
     "Introduce a trusted assessor model with occupational therapists", "2023-09-30",
     "on_track", "complete",
     "Pilot running in two districts.",
     "Rolled out across the county in September."),
    ("Adult Social Care and Health", "People assessed promptly when they need care",
     "Reduce the number of people waiting over 28 days for an assessment by half", "2024-03-31",
     "uncertain", "uncertain",
     "Waiting list reduced by 8% since April.",
     "Progress is slower than planned; referrals from hospitals are 10% higher than last year."),
    ("Adult Social Care and Health", "Choice and control for people who need support",
     "Introduce pre-paid cards for direct payments", "2023-12-31", "on_track", "on_track",
     "Provider selected.",
     "Cards issued to the first 300 people."),
    ("Adult Social Care and Health", "Choice and control for people who need support",
     "Commission additional home care in rural areas", "2023-06-30", "complete", "complete",
     "Contracts awarded in June for 2,000 extra hours a week.",
     "All new hours are being delivered."),
    ("Public Health", "Reduce smoking",
     "Recommission the stop smoking service", "2023-12-31", "on_track", "on_track",
     "Tender published.",
     "Bids evaluated; award due in November."),
    ("Public Health", "Reduce health inequalities",
     "Run NHS Health Check outreach in the most deprived wards", "2023-09-30",
     "on_track", "complete",
     "Outreach started in six community venues.",
     "1,850 Health Checks delivered by the outreach team, 62% to people in the most deprived "
     "fifth of areas."),
    ("Public Health", "Reduce health inequalities",
     "Publish the Director of Public Health's annual report", "2023-09-30", "on_track", "complete",
     "Report drafted; theme is healthy ageing.",
     "Published and presented to Council in September."),
    ("Public Health", "Give every child the best start",
     "Fill health visitor vacancies", "2023-12-31", "off_track", "uncertain",
     "Nine vacancies; recruitment has not kept pace with leavers.",
     "Five vacancies after a recruitment drive; four posts still being advertised."),
)
# fmt: on


def milestone_rows() -> list[dict[str, str]]:
    """milestones.csv: each milestone's status and commentary in 2023/24 Q1 and Q2."""
    rows = []
    for directorate, objective, milestone, due, s1, s2, c1, c2 in MILESTONES:
        for quarter, status, text in (("2023/24 Q1", s1, c1), ("2023/24 Q2", s2, c2)):
            rows.append(
                {
                    "directorate": directorate,
                    "objective": objective,
                    "milestone": milestone,
                    "due": due,
                    "quarter": quarter,
                    "status": status,
                    "commentary": text,
                }
            )
    return rows


# --- tables ----------------------------------------------------------------------------------


def all_indicators() -> list[Kpi | Activity]:
    """KPIs then activity indicators within each service area, areas in seed 001's order."""
    by_area = {area: [] for area in SERVICE_AREA_ORDER}
    for indicator in (*KPIS, *ACTIVITIES):
        by_area[indicator.area].append(indicator)
    return [i for area in SERVICE_AREA_ORDER for i in by_area[area]]


def tables(generated: dict[str, Generated]) -> dict[str, pd.DataFrame]:
    """The five data files as tables of text, in the columns DESIGN.md lists."""
    indicators, targets, values = [], [], []
    for ind in all_indicators():
        gen = generated[ind.id]
        indicators.append(
            {
                "id": ind.id,
                "name": ind.name,
                "directorate": DIRECTORATE[ind.area],
                "service_area": ind.area,
                "kind": ind.kind,
                "polarity": ind.polarity,
                "unit": ind.unit,
                "frequency": ind.frequency,
                "definition": ind.definition,
                "owner": ind.owner,
            }
        )
        for year in YEARS:
            if year not in gen.targets:
                continue
            a, b = gen.targets[year]
            pair = {"target": a, "floor": b} if ind.kind == "kpi" else {"lower": a, "upper": b}
            targets.append(
                {"id": ind.id, "year": year}
                | {
                    c: show_number(pair.get(c, np.nan))
                    for c in ("target", "floor", "lower", "upper")
                }
            )
        for day, value in zip(gen.dates, gen.values, strict=True):
            if not np.isnan(value):
                values.append(
                    {
                        "id": ind.id,
                        "period_end": day.strftime("%Y-%m-%d"),
                        "value": show_number(value, ind.unit),
                    }
                )
    return {
        "indicators.csv": pd.DataFrame(indicators),
        "targets.csv": pd.DataFrame(targets),
        "values.csv": pd.DataFrame(values),
        "commentary.csv": pd.DataFrame(commentary_rows(generated)),
        "milestones.csv": pd.DataFrame(milestone_rows()),
    }


def write(frames: dict[str, pd.DataFrame], out: Path) -> None:
    """Write the tables as UTF-8 CSV with Unix line ends (byte-identical on every run)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(out / name, index=False, lineterminator="\n", encoding="utf-8")


# --- checks (on the files as written) ---------------------------------------------------------


def read(out: Path) -> dict[str, pd.DataFrame]:
    """Read the written files back, as a consumer would."""
    frames = {
        name: pd.read_csv(out / name, dtype=str, keep_default_na=False)
        for name in ("indicators.csv", "targets.csv", "values.csv", "commentary.csv")
    }
    for column in ("target", "floor", "lower", "upper"):
        frames["targets.csv"][column] = pd.to_numeric(frames["targets.csv"][column])
    frames["values.csv"]["value"] = pd.to_numeric(frames["values.csv"]["value"])
    frames["values.csv"]["period_end"] = pd.to_datetime(frames["values.csv"]["period_end"])
    return frames


def assess_quarter(frames: dict[str, pd.DataFrame], label: str) -> pd.DataFrame:
    """One row per reported indicator: value, RAG and direction (the rules in data/README.md)."""
    year, end = label[:7], quarter_end(label)
    targets = frames["targets.csv"].loc[lambda t: t["year"] == year]
    table = frames["indicators.csv"].merge(targets, on="id")
    by_id = dict(tuple(frames["values.csv"].groupby("id")))
    values, directions = [], []
    for ind in table.itertuples():
        mine = by_id[ind.id].set_index("period_end")["value"]
        grid = period_ends(ind.frequency, mine.index.min(), end)
        series = mine.reindex(grid).to_numpy(dtype=float)
        in_quarter = series[grid > end - pd.offsets.MonthEnd(3)]
        in_quarter = in_quarter[~np.isnan(in_quarter)]
        values.append(in_quarter[-1] if len(in_quarter) else np.nan)
        directions.append(
            direction(
                series,
                ind.polarity,
                window=WINDOW[ind.frequency],
                periods_per_year=PER_YEAR[ind.frequency],
            )
        )
    table = table.assign(value=values, direction=directions)
    kpi = table["kind"] == "kpi"
    ratings = rag(table["value"], table["target"], table["floor"], table["polarity"].where(kpi))
    return table.assign(rag=ratings.where(kpi, None))


def check(out: Path) -> list[str]:
    """Every figure the data promise (seed 001 and the awkward cases); a message per failure."""
    frames = read(out)
    failures = []
    kpis = {}
    for label in ("2023/24 Q1", "2023/24 Q2"):
        table = assess_quarter(frames, label)
        kpi = table[table["kind"] == "kpi"]
        kpis[label] = kpi
        if len(kpi) != 38:
            failures.append(f"{label}: {len(kpi)} KPIs reported, expected 38")
        got = kpi["rag"].value_counts().to_dict()
        if got != EXPECTED_RAG[label]:
            failures.append(f"{label}: RAG counts {got}, expected {EXPECTED_RAG[label]}")
        got = kpi["direction"].value_counts(dropna=False).to_dict()
        if got != EXPECTED_DIRECTION[label]:
            failures.append(f"{label}: directions {got}, expected {EXPECTED_DIRECTION[label]}")
        activity = table[table["kind"] == "activity"]
        if label == "2023/24 Q2":
            alerts = set(
                np.where(
                    activity["value"] > activity["upper"],
                    "above",
                    np.where(activity["value"] < activity["lower"], "below", "within"),
                )
            )
            if alerts != {"above", "below", "within"}:
                failures.append(f"{label}: activity alerts {sorted(alerts)}, expected all three")
        comments = frames["commentary.csv"]
        actioned = set(
            comments.loc[(comments["quarter"] == label) & (comments["action"] != ""), "id"]
        )
        unactioned = sorted(set(kpi.loc[kpi["rag"] == "Red", "id"]) - actioned)
        if unactioned:
            failures.append(f"{label}: Red KPIs without a management action: {unactioned}")
    reds = kpis["2023/24 Q2"].loc[lambda t: t["rag"] == "Red", ["service_area", "name"]]
    if sorted(map(tuple, reds.to_numpy())) != sorted(SEED_001_REDS):
        failures.append(
            f"2023/24 Q2: Red KPIs {sorted(map(tuple, reds.to_numpy()))}, expected seed 001's"
        )
    failures += check_awkward_cases(frames)
    failures += check_earlier_quarters(frames)
    return failures


SEED_001_REDS = (
    (CS, "Percentage of complaints responded to within timescale"),
    (
        GL,
        "Percentage of Freedom of Information Act (FOI) requests completed within 20 working days",
    ),
    (
        GL,
        "Percentage of Data Protection Act (DPA) Subject Access requests completed within "
        "statutory timescales",
    ),
    (CYPE, "Percentage of Education, Health Care Plans (EHCPs) issued within 20 weeks"),
    (CYPE, "Percentage of annual EHCP reviews waiting over 12 months"),
    (
        CYPE,
        "Percentage of pupils (with EHCP's) being placed in independent or out of county "
        "special schools",
    ),
    (CYPE, "Percentage of case holding posts filled by permanent qualified social workers"),
    (ASC, "Percentage of new Care Needs Assessments delivered within 28 days"),
)


def check_awkward_cases(frames: dict[str, pd.DataFrame]) -> list[str]:
    """The missing month, the new KPI and the retired KPI are as data/README.md says."""
    values, targets = frames["values.csv"], frames["targets.csv"]
    failures = []
    cs01 = values[values["id"] == MISSING[0]]["period_end"]
    if MISSING[1] in set(cs01) or not (cs01 < MISSING[1]).any():
        failures.append(f"{MISSING[0]} should have a value every month except {MISSING[1]:%B %Y}")
    new = values[values["id"] == NEW_KPI]["period_end"]
    if new.min() != NEW_FROM or set(targets.loc[targets["id"] == NEW_KPI, "year"]) != {"2023/24"}:
        failures.append(
            f"{NEW_KPI} should have values from April 2023 and targets for 2023/24 only"
        )
    old = values[values["id"] == RETIRED_KPI]["period_end"]
    old_years = set(targets.loc[targets["id"] == RETIRED_KPI, "year"])
    if old.max() != RETIRED_AFTER or old_years != set(YEARS[:-1]):
        failures.append(f"{RETIRED_KPI} should have values and targets to 2022/23 only")
    return failures


def check_earlier_quarters(frames: dict[str, pd.DataFrame]) -> list[str]:
    """Earlier quarters give some of each rating, so their reports are worth building."""
    failures = []
    for label in quarters("2019/20 Q1", "2022/23 Q4"):
        kpi = assess_quarter(frames, label).loc[lambda t: t["kind"] == "kpi"]
        counts = kpi["rag"].value_counts()
        if len(kpi) != 38 or any(counts.get(r, 0) < 1 for r in ("Green", "Amber", "Red")):
            failures.append(
                f"{label}: {len(kpi)} KPIs, RAG {counts.to_dict()}: expected 38 KPIs "
                "and some of each rating"
            )
    return failures


# --- comparators (data/comparators.csv) --------------------------------------------------------

AREA_CODE = "E10000990"  # Wealdshire's (fictional) area code; params/defaults.yml says the same
ENGLAND = ("E92000001", "England")
NEIGHBOURS = (  # fictional counties with fictional codes: no real council's figures invented
    ("E10000901", "Northmoor"), ("E10000902", "Eastvale"), ("E10000903", "Westbury Downs"),
    ("E10000904", "Harrowfield"), ("E10000905", "Calderwick"), ("E10000906", "Thornleigh"),
    ("E10000907", "Ashcombe"), ("E10000908", "Brackenridge"), ("E10000909", "Fenwold"),
    ("E10000910", "Greystone"), ("E10000911", "Hollinshire"), ("E10000912", "Kestrelmoor"),
    ("E10000913", "Lowmarsh"), ("E10000914", "Marlowe Vale"), ("E10000915", "Stourland"),
)  # fmt: skip
# The statutory measures among the KPIs (published nationally by DfE, NHS England, DEFRA):
# id -> where the council sits among its neighbours, in standard deviations of their spread
# ("better" direction positive), so the sample shows every quartile.
COMPARED = {
    "CYPE01": -1.2, "CYPE05": 0.2, "CYPE06": 0.9, "CYPE07": 1.4, "CYPE08": -0.4,
    "CYPE09": 0.6, "CYPE10": -0.9, "ASC02": -0.2, "ASC03": 1.1, "ASC05": 0.4,
    "WM01": -1.5, "WM02": -0.7,
}  # fmt: skip
COMPARATOR_PERIODS = pd.date_range("2021-06-30", "2023-06-30", freq="QE")
SPREAD = 0.06  # neighbours' spread as a fraction of the council's level (at least 1 unit)


def comparator_rows(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """comparators.csv: each compared KPI's neighbours and England at COMPARATOR_PERIODS.

    A neighbour's figure is the council's own figure for the period moved by the KPI's
    COMPARED position (so the council keeps its place) plus the neighbour's own steady
    offset and some noise; England is the neighbours' level plus a little. Rounded as
    published, within the unit's bounds.
    """
    indicators = frames["indicators.csv"].set_index("id")
    values = frames["values.csv"]
    rows = []
    for id_, position in COMPARED.items():
        unit = indicators.loc[id_, "unit"]
        sign = SIGN[indicators.loc[id_, "polarity"]]
        own = values.loc[values["id"] == id_].set_index("period_end")["value"].astype(float)
        rng = np.random.default_rng([SEED, zlib.crc32(f"comparators {id_}".encode())])
        offsets = rng.standard_normal(len(NEIGHBOURS))
        offsets = (offsets - offsets.mean()) / offsets.std()  # the council sits where planned
        lift = rng.normal(0.3, 0.2)
        for day in COMPARATOR_PERIODS:
            mine = own[day.strftime("%Y-%m-%d")]
            spread = max(SPREAD * abs(mine), 1.0)
            level = mine - sign * position * spread
            noise = rng.normal(0, 0.35, len(NEIGHBOURS))
            theirs = round_as_published(level + spread * (offsets + noise), unit)
            england = round_as_published(np.array([level + sign * lift * spread]), unit)[0]
            for (code, name), figure in zip(NEIGHBOURS, theirs, strict=True):
                rows.append(comparator_row(id_, code, name, day, figure, unit))
            rows.append(comparator_row(id_, *ENGLAND, day, england, unit))
    return pd.DataFrame(rows)


def comparator_row(id_: str, code: str, name: str, day, figure: float, unit: str) -> dict:
    return {
        "id": id_,
        "area_code": code,
        "area_name": name,
        "period": day.strftime("%Y-%m-%d"),
        "value": show_number(figure, unit),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="folder to write the CSV files to (default: data/)",
    )
    args = parser.parse_args(argv)
    generated = {k.id: generate_kpi(k) for k in KPIS}
    generated |= {a.id: generate_activity(a) for a in ACTIVITIES}
    frames = tables(generated)
    write(frames | {"comparators.csv": comparator_rows(frames)}, args.out)
    failures = check(args.out)
    if failures:
        print("generate_sample: the data do not reproduce the promised figures:", file=sys.stderr)
        for failure in failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print(f"generate_sample: wrote {COUNCIL} sample data to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
