"""What seed 001 (KCC Cabinet, 4 January 2024, Quarter 2 2023/24) says, written once for the
tests that check the sample data and the rendered reports against it."""

# Seed 001, paragraph 2.3: the Red KPIs by service area ("Fol" in the seed is FOI misread).
SEED_001_REDS = {
    "Customer Services": ["Percentage of complaints responded to within timescale"],
    "Governance and Law": [
        "Percentage of Freedom of Information Act (FOI) requests completed within 20 working days",
        "Percentage of Data Protection Act (DPA) Subject Access requests completed within "
        "statutory timescales",
    ],
    "Children, Young People and Education": [
        "Percentage of Education, Health Care Plans (EHCPs) issued within 20 weeks",
        "Percentage of annual EHCP reviews waiting over 12 months",
        "Percentage of pupils (with EHCP's) being placed in independent or out of county special "
        "schools",
        "Percentage of case holding posts filled by permanent qualified social workers",
    ],
    "Adult Social Care": ["Percentage of new Care Needs Assessments delivered within 28 days"],
}
