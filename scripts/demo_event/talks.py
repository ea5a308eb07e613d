"""The programme of Kettle & Code 2026: two days, a keynote each morning, two tracks.

Rooms: the Boiler Hall (keynotes and the "Shop & Studio" track) and the Pump Room
("Classroom & Code"). Each talk: key, day, start, minutes, room, track, title, speakers
(keys into people.PEOPLE), own hashtag, abstract. Rendered to pretalx JSON by
make_demo_data.py.
"""

EVENT = {
    "name": "Kettle & Code 2026",
    "acronym": "kettlecode-2026",
    "hashtags": ["kettlecode", "kettlecode26"],
    "keywords": ["Kettle & Code", "Kettle and Code"],
    "timezone": "Europe/Amsterdam",
    "days": ["2026-09-10", "2026-09-11"],
    "venue": "De Ketelhuis, Rotterdam",
}

BOILER, PUMP = "Boiler Hall", "Pump Room"
SHOP, CLASS, PLENARY = "Shop & Studio", "Classroom & Code", "Plenary"

TALKS = [
    # day 1 ----------------------------------------------------------------------------
    dict(key="k1", day=1, start="09:30", minutes=45, room=BOILER, track=PLENARY, kind="Keynote",
         title="The spreadsheet is the product: what 300 small businesses really run on",
         speakers=["ineke"], tag="kc26sheets",
         abstract="We interviewed 312 small businesses about the software they run on. Most of them run on a "
                  "spreadsheet, and that is not a failure. What makes a business spreadsheet safe: an owner, a "
                  "single source of truth, version history and a restore you have practised."),
    dict(key="s1", day=1, start="10:45", minutes=45, room=BOILER, track=SHOP,
         title="Backups for people who hate backups: 3-2-1 for a five-person office",
         speakers=["tomasz"], tag="kc26backups",
         abstract="The 3-2-1 rule, ransomware, and the restore drill nobody does. A setup that costs less than "
                  "the office coffee and a one-page checklist for who restores what."),
    dict(key="c1", day=1, start="10:45", minutes=45, room=PUMP, track=CLASS,
         title="Teaching Git with paper cups",
         speakers=["marisol"], tag="kc26cups",
         abstract="Commits are cups, history is a stack, a branch is a second stack, and a merge conflict is two "
                  "cups that want the same place. A lesson plan for 14-year-olds, before they ever open a terminal."),
    dict(key="s2", day=1, start="11:45", minutes=45, room=BOILER, track=SHOP,
         title="Your webshop is slow and it is costing you: a performance budget for small shops",
         speakers=["jonas"], tag="kc26speed",
         abstract="A carpenter measured what every second of loading time cost his webshop in orders, then cut "
                  "the product page from 6 MB to 900 KB. Images, plugins, third-party scripts, and a cheap phone."),
    dict(key="c2", day=1, start="11:45", minutes=45, room=PUMP, track=CLASS,
         title="Sandboxes, not screenshots: running code in class without an IT department",
         speakers=["aiko"], tag="kc26sandbox",
         abstract="Python that runs entirely in the browser: no installs, no admin rights, no student accounts, "
                  "and nothing leaves the machine. What worked in 40 schools in Osaka."),
    dict(key="s3", day=1, start="14:00", minutes=45, room=BOILER, track=SHOP,
         title="Invoices, VAT and the 14 tools we replaced with one shared inbox",
         speakers=["lucia"], tag="kc26inbox",
         abstract="Three bakeries, 14 tools, two WhatsApp groups and a lot of lost invoices. How a shared inbox "
                  "with simple rules (every message has an owner by 10:00) replaced most of them."),
    dict(key="c3", day=1, start="14:00", minutes=45, room=PUMP, track=CLASS,
         title="Assessment without surveillance: grading programming work with privacy in mind",
         speakers=["femi"], tag="kc26grading",
         abstract="Autograders, plagiarism checkers and proctoring tools collect far more than they need. "
                  "Short oral checks, local test runners and a privacy impact assessment template."),
    dict(key="s7", day=1, start="15:15", minutes=45, room=BOILER, track=SHOP,
         title="Newsletters people actually open: email for small shops",
         speakers=["fatou"], tag="kc26newsletter",
         abstract="A ceramics studio's newsletter has a 58% open rate and sells out every kiln firing. "
                  "Write like a letter, send when you have something to say, and own your list."),
    dict(key="c7", day=1, start="15:15", minutes=45, room=PUMP, track=CLASS,
         title="Spreadsheets as a first programming language",
         speakers=["mia"], tag="kc26formulas",
         abstract="Every formula is a small program. Teaching functions, conditions and data types with a tool "
                  "students will use for the rest of their lives."),
    dict(key="lt", day=1, start="16:30", minutes=45, room=BOILER, track=PLENARY, kind="Lightning talks",
         title="Lightning talks: five minutes, one idea",
         speakers=["omar", "linnea", "joost", "grace", "kat"], tag="kc26lightning",
         abstract="Stop emailing PDFs (Omar Haddad). Our status page is a text file (Linnea Berg). A bakery till "
                  "on a Raspberry Pi (Joost van Dijk). Tea-break code reviews (Grace Okoro). Phishing drills your "
                  "staff won't hate (Kat Novak)."),
    # day 2 ----------------------------------------------------------------------------
    dict(key="k2", day=2, start="09:30", minutes=45, room=BOILER, track=PLENARY, kind="Keynote",
         title="Boring technology for brave small teams",
         speakers=["rafa"], tag="kc26boring",
         abstract="Every small team has three innovation tokens. Spend them on your customers, not on your "
                  "database. Forty co-operative websites, one Postgres, one app server and cron."),
    dict(key="s4", day=2, start="10:45", minutes=45, room=BOILER, track=SHOP,
         title="Accessibility is a customer service problem",
         speakers=["claire"], tag="kc26a11y",
         abstract="One customer in five lives with a disability. A ten-point check a shop owner can do in an "
                  "afternoon, and what the European Accessibility Act means for small shops."),
    dict(key="c4", day=2, start="10:45", minutes=45, room=PUMP, track=CLASS,
         title="Micro:bits, moss and moisture: a school garden that texts you",
         speakers=["sanne"], tag="kc26garden",
         abstract="Ten-year-olds build moisture sensors for the school garden and decide the rules for when "
                  "the caretaker gets a message. Computational thinking with real consequences."),
    dict(key="s5", day=2, start="11:45", minutes=45, room=BOILER, track=SHOP,
         title="Passwords at the front desk: security for a dental practice of eight",
         speakers=["priya"], tag="kc26frontdesk",
         abstract="The biggest risk was a shared reception login on a sticky note. Individual accounts, a "
                  "password manager, MFA on email first, and permission to hang up on fake IT support."),
    dict(key="c5", day=2, start="11:45", minutes=45, room=PUMP, track=CLASS,
         title="Let them break it: teaching security with a deliberately vulnerable school website",
         speakers=["noor"], tag="kc26breakit",
         abstract="Students attack a local copy of a vulnerable school website (XSS, SQL injection, weak "
                  "passwords), then write the fix. Rules and ethics first."),
    dict(key="s6", day=2, start="14:00", minutes=45, room=BOILER, track=SHOP,
         title="Pricing your work when you are the whole company",
         speakers=["hannah"], tag="kc26pricing",
         abstract="Billable hours are 60% of your hours. Price from what you need to earn, quote projects "
                  "rather than hours, and raise your prices every January."),
    dict(key="c6", day=2, start="14:00", minutes=45, room=PUMP, track=CLASS,
         title="From Scratch to Python without losing the kids",
         speakers=["ana"], tag="kc26scratch",
         abstract="Rebuild the Scratch game they already made, show blocks and text side by side, and translate "
                  "the error messages. A coding club's two-year experiment."),
    dict(key="cl", day=2, start="15:15", minutes=45, room=BOILER, track=PLENARY, kind="Panel",
         title="Closing panel: what we will try on Monday",
         speakers=["wim", "ineke", "tomasz", "priya", "claire"], tag="kc26monday",
         abstract="Every speaker names one thing you can do on Monday morning in under an hour."),
]
