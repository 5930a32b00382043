from bs4 import BeautifulSoup

from qprlib.pipeline.site_index import index_page

KPIS = "id,kind,value,rag,direction\n"


def quarter(site, slug, rows):
    folder = site / slug
    folder.mkdir(parents=True)
    (folder / "cover.html").write_text("<p>cover</p>")
    (folder / "kpis.csv").write_text(KPIS + "".join(f"{r}\n" for r in rows))


def test_index_lists_each_quarter_built_newest_first_with_its_headline_counts(tmp_path):
    site = tmp_path / "_site"
    # Q1: 2 Green (1 improving, 1 with no direction: "stable or no clear trend"), 1 Red
    # worsening, an activity indicator (not a KPI: not counted) and a KPI with no value
    quarter(site, "2023-24-q1", [
        "K1,kpi,90,Green,improving", "K2,kpi,70,Green,", "K3,kpi,10,Red,worsening",
        "A1,activity,5,,increasing", "K4,kpi,,,",
    ])  # fmt: skip
    quarter(site, "2023-24-q2", ["K1,kpi,80,Amber,stable", "K2,kpi,60,Red,worsening"])
    quarter(site, "2022-23-q4", ["K1,kpi,85,Green,improving"])
    (site / "2022-23-q3").mkdir()  # built once, no kpis.csv: listed, not counted
    (site / "2022-23-q3" / "cover.html").write_text("<p>cover</p>")
    soup = BeautifulSoup(index_page(site), "html.parser")
    table = soup.find("section", class_="headline-trend").find("table")
    heads = [th.get_text() for th in table.thead.find_all("th")]
    assert heads[:5] == ["Quarter", "KPIs", "Green", "Amber", "Red"]
    assert all(th["scope"] == "col" for th in table.thead.find_all("th"))
    rows = {
        tr.th.get_text(): dict(
            zip(heads[1:], (td.get_text() for td in tr.find_all("td")), strict=True)
        )
        for tr in table.tbody.find_all("tr")
    }
    assert list(rows) == ["Quarter 2, 2023/24", "Quarter 1, 2023/24", "Quarter 4, 2022/23"]
    q1 = rows["Quarter 1, 2023/24"]
    assert (q1["KPIs"], q1["Green"], q1["Amber"], q1["Red"], q1["No data"]) == (
        "4",
        "2",
        "0",
        "1",
        "1",
    )
    assert (q1["Improving"], q1["Stable or no clear trend"], q1["Worsening"]) == ("1", "1", "1")
    q2 = rows["Quarter 2, 2023/24"]
    assert (q2["Amber"], q2["Red"], q2["Worsening"]) == ("1", "1", "1")
    quarters = [h.get_text() for h in soup.find_all("h2")][1:]
    assert quarters == [
        "Quarter 2, 2023/24", "Quarter 1, 2023/24", "Quarter 4, 2022/23", "Quarter 3, 2022/23"
    ]  # fmt: skip


def test_no_headline_table_without_any_kpis_csv(tmp_path):
    site = tmp_path / "_site"
    (site / "2023-24-q1").mkdir(parents=True)
    (site / "2023-24-q1" / "cover.html").write_text("<p>cover</p>")
    assert "headline-trend" not in index_page(site)


TREND = "quarter,kpis,Green,Amber,Red,no_data,improving,stable,worsening\n"


def test_index_shows_the_last_quarters_trend_of_the_newest_quarter_with_one(tmp_path):
    # Issue 17: the index carries the 8-quarter headline trend as the newest reports count it
    # (trend.csv, oldest first, as the build writes it), with its chart and alt text.
    site = tmp_path / "_site"
    quarter(site, "2023-24-q1", ["K1,kpi,90,Green,improving"])
    (site / "2023-24-q1" / "trend.csv").write_text(
        TREND + "2022/23 Q4,3,1,1,1,0,1,1,1\n2023/24 Q1,3,2,0,1,0,2,0,1\n"
    )
    (site / "2023-24-q1" / "trend.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    quarter(site, "2023-24-q2", ["K1,kpi,80,Amber,stable"])  # newest, but built without one
    soup = BeautifulSoup(index_page(site), "html.parser")
    section = soup.find("section", class_="recent-trend")
    assert section.h2.get_text() == "The last 2 quarters"
    text = " ".join(section.p.get_text().split())
    # Red 1 -> 1, Green 1 -> 2: the sentence says so, from the first and last rows
    red, green = "rated Red stayed at 1", "the number of KPIs rated Green went from 1 to 2"
    assert f"the number of KPIs {red} and {green}" in text
    assert "by the rules of the Quarter 1, 2023/24 reports" in text
    image = section.find("img")
    assert image["src"] == "2023-24-q1/trend.svg"
    assert image["alt"].endswith(
        "2022/23 Q4 1 Green, 1 Amber, 1 Red; 2023/24 Q1 2 Green, 0 Amber, 1 Red."
    )
    table = section.find("table")
    heads = [th.get_text() for th in table.thead.find_all("th")]
    assert heads[:4] == ["Quarter", "Green", "Amber", "Red"] and "No data" not in heads
    rows = [[c.get_text() for c in tr.find_all(["th", "td"])] for tr in table.tbody.find_all("tr")]
    assert [r[0] for r in rows] == ["2022/23 Q4", "2023/24 Q1"]  # oldest first, as in the QPR
    assert rows[1][:4] == ["2023/24 Q1", "2", "0", "1"]


def test_no_recent_trend_with_fewer_than_two_quarters(tmp_path):
    site = tmp_path / "_site"
    quarter(site, "2023-24-q1", ["K1,kpi,90,Green,improving"])
    (site / "2023-24-q1" / "trend.csv").write_text(TREND + "2023/24 Q1,1,1,0,0,0,1,0,0\n")
    assert "recent-trend" not in index_page(site)
