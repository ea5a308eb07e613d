"""The people of the sample event, Kettle & Code 2026: who posts where, under which name.

`m` is a fediverse handle (`user@server`), `b` a Bluesky handle; either may be missing.
The two Mastodon servers the demo reads are SERVER_A and SERVER_B; everyone else lives on
servers the demo never asks, so their posts reach A and B by federation (remote accounts),
as they would at a real event. The people and the fediverse servers (all under .example)
are made up; Bluesky handles look like the app's `name.bsky.social`, with made-up DIDs.
"""

SERVER_A = "mstdn.haven.example"  # a general server in Rotterdam
SERVER_B = "chalk.social.example"  # a server for educators

# key: name, m (fediverse), b (Bluesky), note (bio), and flags:
#   consent          - Mastodon's flags as they are at real events: most people never opted in
#                      to anything (indexable and discoverable false, Mastodon's defaults);
#                      "listed": discoverable only; "in": indexable and discoverable (a few);
#                      "absent": their server sends neither flag (Takahe, Misskey do that)
#   noindex / nobot  - opted out on Mastodon (must never be collected)
#   labels           - Bluesky self-labels (`!no-unauthenticated` opts out)
#   teacher          - federates more with the educators' server
PEOPLE = {
    # organisers and the event's own accounts
    "wim": dict(consent="in", name="Wim Janssen", m=f"wim@{SERVER_A}", note="Organiser of Kettle & Code. Rotterdam. Tea over coffee."),
    "kettlecode": dict(consent="in", name="Kettle & Code", m=f"kettlecode@{SERVER_A}", b="kettlecode.bsky.social",
                       note="Small tools for small teams, classrooms and shops. 10–11 September 2026, De Ketelhuis, Rotterdam."),
    "maya": dict(consent="listed", name="Maya 🫖 volunteer", m=f"maya_helps@{SERVER_A}", note="Volunteer coordinator at Kettle & Code. Ask me where things are."),
    "pieter": dict(consent="listed", name="Pieter de Graaf", m=f"pieter@{SERVER_A}", note="Volunteer, speaker wrangler, bike enthusiast."),
    # speakers
    "ineke": dict(consent="in", name="Ineke Bakker", m="ineke@toot.lab.example", b="inekebakker.bsky.social",
                  note="Researcher: how small businesses really use software. Spreadsheets are infrastructure."),
    "tomasz": dict(consent="absent", name="Tomasz Wójcik", m="tomasz@social.werkstatt.example",
                   note="IT for small offices in Berlin. Restores things for a living."),
    "marisol": dict(consent="listed", name="Marisol Vega", m="marisol@aula.social.example", b="marisolvega.bsky.social", teacher=True,
                    note="Profe de informática en Valencia. Blog: Chalk & Commit. Paper cups enthusiast."),
    "jonas": dict(consent="absent", name="Jonas Richter", m="jonas@social.werkstatt.example",
                  note="Tischler in Leipzig. Betreibt nebenbei einen Webshop. Blog: Werkbank-Notizen."),
    "aiko": dict(consent="listed", name="Aiko Tanaka 田中愛子", m="aiko@mstdn.sakura.example", b="aikotanaka.bsky.social", teacher=True,
                 note="Teacher trainer, Osaka. Python in the browser for every classroom."),
    "lucia": dict(name="Lucía Fernández", b="panaderialucia.bsky.social",
                  note="Tres panaderías en Sevilla. Facturas, masa madre y bandejas de entrada compartidas."),
    "femi": dict(consent="in", name="Dr Femi Adeyemi", m="femi@scholar.social.example", teacher=True,
                 note="Senior lecturer in computing education, Manchester. Assessment without surveillance."),
    "fatou": dict(name="Fatou Diallo", m="fatou@pouet.example", b="fatouceramique.bsky.social",
                  note="Céramiste à Bruxelles. Une boutique en ligne, une newsletter, un four."),
    "mia": dict(name="Mia Hoffmann", m="mia@aula.social.example", teacher=True,
                note="Mathelehrerin in Hamburg. Tabellenkalkulation ist Programmieren."),
    "rafa": dict(consent="listed", name="Rafael Souza", m="rafa@capivara.social.example", b="rafasouza.bsky.social",
                 note="Agência de 6 pessoas em Porto Alegre que faz software para cooperativas. Tecnologia chata."),
    "claire": dict(name="Claire Dubois", m="claire@pouet.example",
                   note="Consultante accessibilité à Lyon, pour les petites boutiques."),
    "sanne": dict(name="Sanne de Vries", m="sanne@leraren.social.example", teacher=True,
                  note="Juf groep 7/8 in Utrecht. Micro:bits in de moestuin."),
    "priya": dict(consent="in", name="Priya Raman", m="priya@infosec.town.example", b="priyaraman.bsky.social",
                  note="Security for small practices and shops. London."),
    "noor": dict(name="Noor El Amrani", m="noor@leraren.social.example", teacher=True,
                 note="Docent informatica in Amsterdam. Laat leerlingen dingen kapotmaken (legaal)."),
    "hannah": dict(name="Hannah Okafor", b="hannahmakes.bsky.social",
                   note="Freelance designer in Dublin. Company of one."),
    "ana": dict(name="Ana Costa", m="ana@capivara.social.example", teacher=True,
                note="Clube de programação em Lisboa. Scratch → Python."),
    # attendees on the two servers the demo reads
    "bram": dict(consent="in", name="Bram Visser", m=f"bram@{SERVER_A}", note="Developer at a 4-person agency. Takes notes so you don't have to."),
    "lotte": dict(name="Lotte Kramer", m=f"lotte@{SERVER_A}", note="Eigenaar van een cadeauwinkel in Delft. Webwinkel, kassa, alles zelf."),
    "grace": dict(consent="listed", name="Grace Okoro", m=f"mrs_okoro@{SERVER_B}", teacher=True,
                  note="Head of computing at a secondary school in Leeds."),
    "felix": dict(consent="listed", name="Felix Braun", m=f"herr_braun@{SERVER_B}", teacher=True,
                  note="Informatiklehrer in Köln. Pappbecher-Fan seit heute."),
    "carmen": dict(name="Carmen Ortega", m=f"profe_carmen@{SERVER_B}", teacher=True,
                   note="Profesora de tecnología en Zaragoza."),
    # attendees elsewhere in the fediverse
    "sam": dict(name="Sam Lee", m="dev_sam@toot.lab.example", b="samlee.bsky.social",
                note="Backend developer for small NGOs. Rust-orange backpack."),
    "marta": dict(name="Marta Ruiz", m="marta@mastodon.tapas.example", note="Agencia web pequeña en Madrid."),
    "yuki": dict(name="Yuki Sato 佐藤由紀", m="yuki@mstdn.sakura.example", note="小さなECショップのエンジニア。"),
    "beatriz": dict(name="Beatriz Lima", m="beatriz@capivara.social.example", teacher=True,
                    note="Professora e programadora. Porto."),
    "julien": dict(name="Julien Bernard", m="julien@pouet.example", b="julienb.bsky.social",
                   note="Développeur indépendant, Nantes."),
    "anke": dict(consent="absent", name="Anke Schulz", m="anke@social.werkstatt.example", note="Fahrradladen in Freiburg, Webshop inklusive."),
    "joost": dict(name="Joost van Dijk", m="joost@mastodon.ambacht.example", note="IT voor een familiebakkerij (3 winkels)."),
    "kat": dict(name="Kat Novak", m="cyberkat@infosec.town.example", note="Security engineer. Phishing drills that aren't mean."),
    "omar": dict(name="Omar Haddad", m="tiny_agency@toot.lab.example", note="Runs a tiny agency for local shops."),
    "linnea": dict(name="Linnea Berg", m="linnea@toot.lab.example", note="Operations at a 12-person web shop. Asks questions."),
    # a display name that tries to inject markup (it must show as text)
    "nina": dict(name="<img src=x onerror=alert('nina')>Nina", m="nina@toot.lab.example",
                 note="Bookkeeper. Yes, my display name is an XSS test. No, I won't change it."),
    # Bluesky people
    "theo": dict(name="Theo Martin", b="theoprints.bsky.social", note="I run a tiny print shop in Bristol."),
    "jess": dict(name="Jess Park", b="jess-codes.bsky.social", note="CS teacher and hobby web developer."),
    "pedro": dict(name="Pedro Alves", b="pedroalves.bsky.social", note="Dev em Recife."),
    "marieke": dict(name="Marieke leert", b="mariekeleert.bsky.social", note="Juf en techneut."),
    "klassenzimmer": dict(name="Tobias | Klassenzimmer", b="klassenzimmer.bsky.social", note="Lehrer in Bremen."),
    "kenji": dict(name="Kenji Mori", b="kenjimori.bsky.social", note="教育とWeb。"),
    "sofia": dict(name="Sofía Navarro", b="sofianavarro.bsky.social", note="Accesibilidad y seguridad web."),
    "camille": dict(name="Camille Petit", b="camillepetit.bsky.social", note="Étudiante en design."),
    "troll": dict(name="\"><script>alert('bsky')</script>", b="definitely-not-a-bot.bsky.social",
                  note="hi"),
    # people who opted out: their posts are in the payloads and must never be collected
    "quietfox": dict(name="Quiet Fox", m="quietfox@toot.lab.example", noindex=True,
                     note="Lurker. Please don't quote me. #nobot"),
    "ruth": dict(name="Ruth Meyer", m="ruth@mastodon.ambacht.example",
                 note="Bakes bread, fixes printers. Happy to chat, not to be archived: #NoBackchannel"),
    "penguin": dict(name="private penguin", b="privatepenguin.bsky.social", labels=["!no-unauthenticated"],
                    note="logged-in viewers only, please"),
    # spam
    "spam": dict(name="KETTLE Token 🚀 <script>alert('airdrop')</script>", m="kettle_airdrop@coins.spam.example",
                 note="Free tokens for every conference!"),
    "seo": dict(name="Local SEO Pro", m="seo_wizard@toot.lab.example", note="More customers for your small business."),
}

# The account the demo logs in to Bluesky with (the demo server accepts only this).
DEMO_LOGIN = {"handle": "backchannel-demo.bsky.social", "password": "demo-app-password-1234"}
