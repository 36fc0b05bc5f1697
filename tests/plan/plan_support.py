"""A tiny organisation whose activity plans can be worked out by hand.

Plans are made as of Tuesday 19 May 2026: 42 days (6 weeks) are left of 2026-Q2. The rates
come from one quarter, 2026-Q1 (1 January to 31 March: twelve 7-day weeks from 1 January and
six leftover days).

ada (team t1), each of the twelve weeks k = 0..11, on 1 January + 7k:
    2 meetings, 1 first call to a new lead, 1 new opportunity O{k}
    O0-O3 won 14 days later for 10 000 (Prospecting → Proposal → Closed Won)
    O4-O7 lost 20 days later after reaching Proposal, O8-O9 lost at Prospecting
    O10 is open at Proposal, worth 50 000; O11 was lost on 2 April (after the window)
    W1, created 2 April, won 20 April for 40 000 (no stage history): booked this quarter
    2 meetings on 12 May: 1 a week over the last 14 days
  closed in Q1: 10, won 4 → win rate 0.4, average won 10 000, every cycle 14 days
  → share of new deals won within the 42 days left = (42 − 14) ÷ 42 = 2/3
  opportunities per meeting 12 ÷ 24 = 0.5; meetings per first contact 24 ÷ 12 = 2
  best weeks (p90): 2 meetings, 1 opportunity, 1 first contact
  stage conversion: Prospecting 8 of 10, Proposal 4 of 8
  stage win rate of Proposal (closed deals that entered it, won): 4 of 8 = 0.5
cy (team t1): hired 1 April 2026, no deals, no activity: thin, uses team t1's rates (ada's)
dee (team t2): W2 created 1 April, won 10 April for 45 000; target 30 000: above target
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb

AS_OF = date(2026, 5, 19)
TARGETS = {"ada": 100_000, "cy": 50_000, "dee": 30_000}
START = datetime(2026, 1, 1)


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def org_files() -> dict[str, str]:
    """CSV text of every table of the organisation, by file name."""
    teams = "team_id,name\nt1,One\nt2,Two"
    reps = (
        "rep_id,name,team_id,role,hire_date\n"
        "ada,Ada,t1,rep,2024-01-01\ncy,Cy,t1,rep,2026-04-01\ndee,Dee,t2,rep,2024-01-01"
    )
    quotas = "rep_id,period_start,period_end,metric,target,set_at\n" + "\n".join(
        f"{rep},2026-04-01,2026-06-30,bookings,{target}," for rep, target in TARGETS.items()
    )
    leads = ["lead_id,created_at"]
    activities = ["activity_id,rep_id,type,occurred_at,lead_id"]
    deals = ["opportunity_id,owner_rep_id,created_at,closed_at,stage,is_won,amount"]
    stages = ["opportunity_id,stage,entered_at,amount"]
    for k in range(12):
        day = START + timedelta(days=7 * k)
        leads.append(f"L{k},{_at(day)}")
        activities += [
            f"c{k},ada,call,{_at(day + timedelta(hours=9))},L{k}",
            f"m{k}a,ada,meeting,{_at(day + timedelta(hours=10))},",
            f"m{k}b,ada,meeting,{_at(day + timedelta(hours=11))},",
        ]
        created = day + timedelta(hours=10)
        amount = 10_000 if k < 4 else 50_000 if k == 10 else 5_000
        stages.append(f"O{k},Prospecting,{_at(created)},{amount}")
        if k < 4:
            closed = created + timedelta(days=14)
            deals.append(f"O{k},ada,{_at(created)},{_at(closed)},Closed Won,true,10000")
            stages += [
                f"O{k},Proposal,{_at(created + timedelta(days=7))},{amount}",
                f"O{k},Closed Won,{_at(closed)},{amount}",
            ]
        elif k < 10:
            closed = created + timedelta(days=20)
            deals.append(f"O{k},ada,{_at(created)},{_at(closed)},Closed Lost,false,5000")
            if k < 8:
                stages.append(f"O{k},Proposal,{_at(created + timedelta(days=7))},{amount}")
            stages.append(f"O{k},Closed Lost,{_at(closed)},{amount}")
        elif k == 10:
            deals.append(f"O{k},ada,{_at(created)},,Proposal,,50000")
            stages.append(f"O{k},Proposal,{_at(created + timedelta(days=7))},{amount}")
        else:
            closed = datetime(2026, 4, 2, 10)
            deals.append(f"O{k},ada,{_at(created)},{_at(closed)},Closed Lost,false,5000")
            stages.append(f"O{k},Closed Lost,{_at(closed)},{amount}")
    deals += [
        "W1,ada,2026-04-02 10:00:00,2026-04-20 10:00:00,Closed Won,true,40000",
        "W2,dee,2026-04-01 10:00:00,2026-04-10 10:00:00,Closed Won,true,45000",
    ]
    activities += [
        "r1,ada,meeting,2026-05-12 10:00:00,",
        "r2,ada,meeting,2026-05-12 11:00:00,",
    ]
    return {
        "teams.csv": teams,
        "reps.csv": reps,
        "quotas.csv": quotas,
        "leads.csv": "\n".join(leads),
        "opportunities.csv": "\n".join(deals),
        "opportunity_stages.csv": "\n".join(stages),
        "activities.csv": "\n".join(activities),
    }


def write_org(folder: Path) -> list[Path]:
    """Write the organisation's CSV files into `folder`; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in org_files().items():
        path = folder / name
        path.write_text(text.strip() + "\n")
        paths.append(path)
    return paths


def build_store(folder: Path) -> Path:
    """The organisation imported into a new DuckDB store in `folder`; the store's path."""
    paths = write_org(folder / "csv")
    store = folder / "store.duckdb"
    backend = connect(str(store))
    try:
        result = import_files(raw_duckdb(backend), paths)
        assert result.rejects == 0, result.sample
    finally:
        backend.disconnect()
    return store
