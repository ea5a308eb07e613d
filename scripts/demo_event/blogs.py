"""Three blogs that wrote about Kettle & Code 2026, with entries as their CMS published them.

Each entry's `html` is the body exactly as the blog's feed carries it, including what real
blogs embed: an analytics <script>, a `javascript:` print link, an `onerror` image fallback.
The collector must neutralise all of it. Entries outside the event, or not about it, are
here on purpose: the collector's event filter must leave them out.
"""

FEEDS = [
    dict(
        key="chalk-and-commit", format="rss", path="/chalk-and-commit/feed.xml", all=False,
        title="Chalk & Commit", link="https://chalkandcommit.example/", lang="en",
        description="Teaching computing with paper, cups and the occasional terminal. By Marisol Vega.",
        author="Marisol Vega",
        entries=[
            dict(id="https://chalkandcommit.example/?p=412", published="2026-09-01T18:00:00+02:00",
                 title="Back to school: my first-week plan",
                 link="https://chalkandcommit.example/2026/09/first-week-plan/",
                 categories=["teaching"],
                 html="<p>Same as every year: no computers in week one. We draw how the internet works, "
                      "then we build it with string.</p>"),
            dict(id="https://chalkandcommit.example/?p=418", published="2026-09-10T07:05:00+02:00",
                 title="Our school finally has a 3D printer",
                 link="https://chalkandcommit.example/2026/09/3d-printer/",
                 categories=["school"],
                 html="<p>It arrived on Monday. The first print was, of course, a tiny boat.</p>"),
            dict(id="https://chalkandcommit.example/?p=420", published="2026-09-10T11:32:00+02:00",
                 title="Materials: Teaching Git with paper cups (Kettle & Code 2026)",
                 link="https://chalkandcommit.example/2026/09/paper-cups-materials/",
                 categories=["kettlecode", "git", "lesson plans"],
                 html="<p>Thank you to everyone who came to my talk at <strong>Kettle &amp; Code</strong> "
                      "this morning! Everything from the session, free to use and adapt (CC BY-SA):</p>"
                      "<ul><li><a href=\"https://chalkandcommit.example/files/paper-cups-lesson-plan.pdf\">"
                      "Lesson plan (45 minutes)</a></li>"
                      "<li><a href=\"https://chalkandcommit.example/files/cup-labels.pdf\">Printable cup labels</a></li>"
                      "<li><a href=\"https://chalkandcommit.example/files/worksheet.pdf\">Student worksheet</a></li></ul>"
                      "<p>The short version: a commit is a cup with a change written on it, history is the "
                      "stack, a branch is a second stack, and a merge conflict is two cups that want the "
                      "same place. Let them knock it over before you show them <code>git reflog</code>.</p>"
                      "<p><img src=\"https://chalkandcommit.example/img/cups-stack.jpg\" "
                      "alt=\"Two stacks of paper cups with handwritten labels on a classroom table\"></p>"),
            dict(id="https://chalkandcommit.example/?p=421", published="2026-09-10T22:40:00+02:00",
                 title="Kettle & Code, day 1: cups, sandboxes and a keynote about spreadsheets",
                 link="https://chalkandcommit.example/2026/09/kettlecode-day-1/",
                 categories=["kettlecode", "conferences"],
                 html="<p>Day one of #kettlecode in Rotterdam, and my head is full. Three things I am "
                      "taking back to my classroom:</p>"
                      "<ol><li><strong>Ineke Bakker's keynote</strong>: most small businesses run on a "
                      "spreadsheet, and the lesson is not to replace it but to make it safe: one owner, "
                      "one true tab, version history, and a restore you have practised. Our school "
                      "timetable is exactly that spreadsheet.</li>"
                      "<li><strong>Aiko Tanaka on sandboxes</strong>: Python that runs entirely in the "
                      "browser means no installs, no accounts and no student data leaving the room. I am "
                      "trying JupyterLite on our locked-down laptops next week.</li>"
                      "<li><strong>Femi Adeyemi on assessment</strong>: a three-minute conversation about "
                      "their own code tells you more than any plagiarism checker, and it watches nobody.</li></ol>"
                      "<p>And thank you to everyone who came to the paper cups session. Someone knocked "
                      "over a stack in the first five minutes, which is exactly the point.</p>"),
            dict(id="https://chalkandcommit.example/?p=423", published="2026-09-11T21:50:00+02:00",
                 title="Kettle & Code, día 2: accesibilidad, huertos escolares y tecnología aburrida",
                 link="https://chalkandcommit.example/2026/09/kettlecode-dia-2/",
                 categories=["kettlecode", "español"], lang="es",
                 html="<p>Segundo día de Kettle &amp; Code. Lo que me llevo:</p>"
                      "<ul><li>Rafael Souza: cada equipo pequeño tiene tres «tokens de innovación». Hay "
                      "que gastarlos en el problema del cliente, no en la base de datos.</li>"
                      "<li>Sanne de Vries: un huerto escolar con micro:bits enseña umbrales y condiciones "
                      "mejor que cualquier ejercicio, porque si te equivocas la planta se seca.</li>"
                      "<li>Ana Costa: para pasar de Scratch a Python, rehacer el mismo juego y traducir "
                      "los mensajes de error.</li></ul>"
                      "<p>Gracias a la organización y a los voluntarios. ¡Hasta el año que viene!</p>"),
        ],
    ),
    dict(
        key="werkbank", format="atom", path="/werkbank/atom.xml", all=False,
        title="Werkbank-Notizen", link="https://werkbank.example/", lang="de",
        description="Holz, Werkzeug und ein Webshop. Von Jonas Richter, Leipzig.",
        author="Jonas Richter",
        entries=[
            dict(id="tag:werkbank.example,2026:post-88", published="2026-08-28T19:30:00+02:00",
                 title="Die neue Hobelbank ist da",
                 link="https://werkbank.example/2026/08/hobelbank/",
                 html="<p>Buche, 2,20 m, und schwerer als gedacht.</p>"),
            dict(id="tag:werkbank.example,2026:post-91", published="2026-09-10T12:40:00+02:00",
                 title="Folien: »Dein Webshop ist langsam und es kostet dich Geld«",
                 link="https://werkbank.example/vortraege/webshop-speed/",
                 categories=["Vorträge", "kettlecode"],
                 html="<p>Hier sind die Folien meines Vortrags beim Kettle &amp; Code in Rotterdam, mit "
                      "allen Messwerten vorher und nachher: "
                      "<a href=\"https://werkbank.example/files/webshop-speed.pdf\">webshop-speed.pdf</a>.</p>"
                      "<p>Das Wichtigste in einem Satz: Produktseite unter 1 MB, unter 2 Sekunden auf "
                      "einem billigen Handy, höchstens drei Skripte von Dritten.</p>"
                      "<p><a href=\"javascript:window.print()\">Diese Seite drucken</a></p>"),
            dict(id="tag:werkbank.example,2026:post-92", published="2026-09-10T21:15:00+02:00",
                 title="Kettle & Code 2026, Tag 1: Tabellen, Backups und mein eigener Vortrag",
                 link="https://werkbank.example/2026/09/kettlecode-tag-1/",
                 categories=["Konferenzen", "kettlecode"],
                 html="<p>Der erste Tag beim #kettlecode in Rotterdam. Was ich mitnehme:</p>"
                      "<p><strong>Tabellen sind Infrastruktur.</strong> Ineke Bakker hat 312 kleine Firmen "
                      "befragt; bei 241 läuft das Kerngeschäft in einer Tabelle. Ihr Rat: einen "
                      "Verantwortlichen bestimmen und den Versionsverlauf einschalten.</p>"
                      "<p><strong>Ein Backup, das nie zurückgespielt wurde, ist ein Gerücht.</strong> "
                      "Tomasz Wójcik empfiehlt eine Wiederherstellungsübung pro Quartal. Ich habe es heute "
                      "Abend im Hotel mit meinen Rechnungen versucht: hat geklappt, nach 40 Minuten.</p>"
                      "<p>Mein eigener Vortrag lief gut, die Folien sind online. "
                      "<img src=\"https://werkbank.example/img/vortrag.jpg\" alt=\"Jonas auf der Bühne vor einem Diagramm\" "
                      "onerror=\"this.src='https://werkbank.example/img/fallback.jpg'\"></p>"
                      "<script>window.dataLayer=window.dataLayer||[];dataLayer.push({event:'pageview'});</script>"
                      "<iframe src=\"https://shop.werkbank.example/widget/bestseller\" width=\"300\"></iframe>"
                      "<p><a href=\"javascript:window.print()\">Drucken</a> · "
                      "<a href=\"https://werkbank.example/2026/09/kettlecode-tag-1/#kommentare\">Kommentare</a></p>"),
            dict(id="tag:werkbank.example,2026:post-94", published="2026-09-11T20:30:00+02:00",
                 title="Kettle & Code, Tag 2: Langweilige Technik und barrierefreie Shops",
                 link="https://werkbank.example/2026/09/kettlecode-tag-2/",
                 categories=["Konferenzen", "kettlecode"],
                 html="<p>Tag zwei. Rafael Souza hat in seiner Keynote für langweilige Technik geworben: "
                      "Software, die es in zehn Jahren noch gibt und für die man in der eigenen Stadt "
                      "jemanden findet. Für eine Tischlerei mit Webshop genau richtig.</p>"
                      "<p>Claire Dubois: Barrierefreiheit ist Kundenservice. Ich habe während des Vortrags "
                      "versucht, in meinem Shop ohne Maus einzukaufen, und bin beim Warenkorb gescheitert. "
                      "Wird am Montag repariert.</p>"
                      "<p>Danke an das ganze Team. Bis 2027!</p>"),
        ],
    ),
    dict(
        key="news", format="atom", path="/news/atom.xml", all=True,
        title="Kettle & Code news", link="https://kettlecode.example/", lang="en",
        description="News from Kettle & Code, small tools for small teams, classrooms and shops.",
        author="Kettle & Code team",
        entries=[
            dict(id="https://kettlecode.example/news/2026-practical-info", published="2026-09-10T06:45:00+02:00",
                 title="Welcome to Kettle & Code 2026: practical information",
                 link="https://kettlecode.example/news/2026-practical-info",
                 html="<p>Doors open at 08:30 at De Ketelhuis. The Boiler Hall is on the ground floor, the "
                      "Pump Room upstairs. Wifi: <code>KettleGuest</code>, the password is on your badge. "
                      "Lunch is vegetarian with vegan and gluten-free options (green labels).</p>"
                      "<p>Both rooms are recorded. If you prefer not to be photographed, take a red lanyard "
                      "at registration.</p>"),
            dict(id="https://kettlecode.example/news/day-1-in-numbers", published="2026-09-10T21:00:00+02:00",
                 title="Day 1 in numbers, and the keynote recording",
                 link="https://kettlecode.example/news/day-1-in-numbers",
                 html="<p>312 attendees, 10 sessions, 14 volunteers, 600 stroopwafels.</p>"
                      "<p>The recording of Ineke Bakker's keynote <em>The spreadsheet is the product</em> is "
                      "online: <a href=\"https://kettlecode.example/2026/videos/keynote-ineke-bakker\">watch "
                      "it here</a>, with captions in English and Dutch.</p>"),
            dict(id="https://kettlecode.example/news/lost-and-found", published="2026-09-11T09:10:00+02:00",
                 title="Lost and found",
                 link="https://kettlecode.example/news/lost-and-found",
                 html="<p>From the boat: a black umbrella (claimed!), two scarves and a blue water bottle. "
                      "Ask at registration.</p>"),
            dict(id="https://kettlecode.example/news/thank-you-volunteers", published="2026-09-11T18:30:00+02:00",
                 title="Thank you, volunteers",
                 link="https://kettlecode.example/news/thank-you-volunteers",
                 html="<p>Kettle &amp; Code is run by volunteers. This year Maya, Pieter, Sarah, Ruben, "
                      "Fatima, Koen and eight others ran registration, lunch, the cloakroom (eventually) and "
                      "the AV in both rooms. Thank you!</p>"),
            dict(id="https://kettlecode.example/news/feedback-2026", published="2026-09-14T10:00:00+02:00",
                 title="Tell us how it went",
                 link="https://kettlecode.example/news/feedback-2026",
                 html="<p>The feedback form is open until 30 September.</p>"),
        ],
    ),
]
