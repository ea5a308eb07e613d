"""Cue lexicons for the post classifier, one group of cues per language.

Each group names a *function* a phrase has in a backchannel post (thanking, asking for
help, pointing at slides, talking about lunch...), not a kind: the learned model in
`classify/data/model.json` decides how much each group counts and in which
combination. Grouping cues by function is what lets a handful of examples in one
language teach the model about the other six.

Entries are `|`-separated. A trailing `*` matches any word ending (`learn*` matches
learned, learning). Latin-script entries match whole words, case- and accent-insensitive;
Japanese entries match anywhere (no spaces to anchor on). English cues apply to every
post, since English terms (slides, keynote, talk) turn up in posts in all languages.
"""

LANGS = ("en", "de", "es", "fr", "pt", "nl", "ja")

LEXICON: dict[str, dict[str, str]] = {
    # Gratitude towards people.
    "thanks": {
        "en": "thank*|thx|ty|grateful|gratitude|kudos|shoutout|shout-out|shout out|props|hats off"
              "|appreciate*|big up|cheers to|hugs",
        "de": "dank*|danke*|dankbar|lob|hut ab|respekt|kudos|bedanke*",
        "es": "gracia*|agradec*|aplauso*|olé",
        "fr": "merci*|remerci*|reconnaissant*|chapeau|kudos",
        "pt": "obrigad*|valeu|agradeç*|agradec*|gratidão|aplauso*",
        "nl": "dank*|bedankt|dankjewel|complimenten|chapeau|hulde|applaus",
        "ja": "ありがとう|感謝|お礼|御礼|お疲れ|おつかれ|助かりました",
    },
    # Evaluative praise of a talk, a person, an event.
    "praise": {
        "en": "great|amazing|awesome|brilliant|fantastic|excellent|incredible|wonderful|superb"
              "|outstanding|inspiring|inspirational|loved|enjoyed|impressive|stellar|phenomenal"
              "|lovely|best talk|what a|nailed it|killed it|rocked|highlight*|bravo|well done"
              "|top notch|must-watch|must watch|fabulous|terrific|legend*|wow|gem",
        "de": "toll*|großartig*|super|klasse|genial|fantastisch*|hervorragend*|exzellent*"
              "|beeindruckend*|inspirierend*|wunderbar*|grandios*|stark*|mega|was für ein"
              "|was für eine|wow|gelungen*|gut gemacht|bravo|hammer|highlight*|bester vortrag",
        "es": "genial|increíble|excelente|buenísim*|brutal|tremend*|maravillos*|fantástic*"
              "|impresionante|inspirador*|qué charla|lo bordó|crack|espectacular|gran charla"
              "|muy buena|top|bravo",
        "fr": "génial*|super|excellent*|incroyable|formidable*|magnifique|fantastique|passionnant*"
              "|inspirant*|impressionnant*|quel talk|quelle keynote|percutant*|brillant*|au top"
              "|trop bien|top|bravo|pépite",
        "pt": "incrível|sensacional|excelente|ótim*|maravilhos*|fantástic*|top|show|demais|arrasou"
              "|inspirador*|impressionante|que palestra|brilhante|massa|incríveis",
        "nl": "geweldig*|top|prachtig*|fantastisch*|super|sterk*|mooi*|indrukwekkend*|inspirerend*"
              "|wat een|geniaal|gaaf|briljant|uitstekend*|heerlijk*|knap",
        "ja": "素晴らし|すばらし|最高|すごい|凄い|面白かった|良かった|よかった|感動|さすが|圧巻"
              "|楽しかった|分かりやすくて|わかりやすくて|完璧",
    },
    "congrats": {
        "en": "congrat*|well deserved|well-deserved|award|proud|so proud",
        "de": "glückwunsch*|gratulier*|gratulation|verdient|stolz*",
        "es": "enhorabuena|felicidades|felicitaciones|felicit*|merecid*|orgullos*",
        "fr": "félicitation*|félicite*|mérité*|fier|fière|prix",
        "pt": "parabéns|merecid*|orgulho*|prêmio",
        "nl": "gefeliciteerd|felicitaties|proficiat|verdiend|trots",
        "ja": "おめでとう|受賞|誇らし",
    },
    # The people a shout-out is usually for.
    "people": {
        "en": "speaker*|organiser*|organizer*|organising|organizing|organisation|organization"
              "|volunteer*|crew|host*|moderator*|panelist*|committee|staff|presenter*|colleague*"
              "|interpreter*|caterer*|everyone|team|community|all of you",
        "de": "referent*|sprecher*|vortragende*|orga|orga-team|organisator*|veranstalter*|helfer*"
              "|freiwillige*|team|crew|moderation|moderator*|kolleg*|dolmetscher*|alle",
        "es": "ponente*|organización|organizador*|voluntari*|equipo|staff|moderador*|compañer*"
              "|intérprete*|todas|todos",
        "fr": "intervenant*|conférencier*|conférencière*|orateur*|oratrice*|orga|organisat*"
              "|bénévole*|équipe|staff|modérat*|collègue*|interprète*|tous|toutes",
        "pt": "palestrante*|organização|organizador*|voluntári*|equipe|staff|mediador*|colega*"
              "|intérprete*|todos|todas",
        "nl": "spreker*|organisatie|organisator*|vrijwilliger*|team|crew|gespreksleider"
              "|dagvoorzitter|collega*|tolk*|iedereen",
        "ja": "登壇者|講演者|発表者|運営|スタッフ|ボランティア|実行委員|司会|通訳|皆さん|皆さま"
              "|みなさん|同僚|登壇",
    },
    # Framing a post as something learned: "TIL", "key point", "my notes from".
    "learn": {
        "en": "til|today i learned|learned|learnt|learning|lesson*|takeaway*|take-away|key point"
              "|key message|main message|main point|main idea|big idea|insight*|the point"
              "|conclusion|bottom line|in short|in one sentence|remember*|reminder|stuck with me"
              "|stealing|eye-opening|eye opening|surpris*|didn't know|did not know|never knew"
              "|fun fact|interesting|fascinating|the trick|rule of thumb|tip|boiled down|summary"
              "|bringing back|take home|key learning|quote|recap|notes from|counterintuitive"
              "|finding|clicked|lesson learned|heard at|the case for|the message|central",
        "de": "gelernt|erkenntnis*|fazit|learning|lektion|lehre|merke|merksatz|wichtigste*"
              "|kernaussage|kern|botschaft|takeaway|mitnehmen|nehme ich mit|mitgenommen"
              "|interessant*|spannend*|überrasch*|wusste ich nicht|zitat|faustregel|tipp|rückblick"
              "|nachlese|zusammenfassung|these|gehört|erklärt",
        "es": "aprendí|aprendido|aprendizaje*|lección|lecciones|conclusión|clave|idea principal"
              "|me quedo con|me llevo|lo que me llevo|lo más importante|lo esencial|resumen"
              "|crónica|dato|interesante|sorprend*|no lo sabía|no sabía|frase|consejo|regla|ojo"
              "|curioso",
        "fr": "appris|à retenir|retiens|je retiens|retenir|leçon*|conclusion|point clé|idée clé"
              "|idée principale|l'essentiel|essentiel|enseignement*|compte rendu|retour sur|bilan"
              "|chiffre|intéressant*|étonnant*|surprenant*|je ne savais pas|citation|phrase"
              "|conseil|règle|astuce|rapporte",
        "pt": "aprendi|aprendizado*|lição|lições|conclusão|ponto importante|ideia central"
              "|ideia principal|recado|fiquei com|o que levo|levo|resumo|dado|interessante|surpre*"
              "|não sabia|frase|dica|regra|atenção",
        "nl": "geleerd|les|lessen|inzicht*|conclusie|kern|kernpunt|boodschap|belangrijkste|meeneem"
              "|neem ik mee|samenvatting|verslag|terugblik|interessant*|opvallend*|verrast*"
              "|verrassend*|wist ik niet|quote|uitspraak|tip|vuistregel|let op|gehoord",
        "ja": "学び|学んだ|知った|知らなかった|気づき|なるほど|ポイント|要点|結論|教訓|納得|印象的|持ち帰|収穫|名言|参加レポート|参加記|勉強になった|核心|原則"
              "|教え|聞いた話|という話",
    },
    # Reporting evidence or what a speaker said.
    "evidence": {
        "en": "study|studies|trial*|data|evidence|research*|survey|found|showed|shows|shown"
              "|result*|according to|measured|stat*|percent|per cent|reported|analysis|cohort"
              "|patients|participants|compared|reduced|increased|improved|dropped|doubled|halved"
              "|tripled|fell|rose|cut|said|says|argued|argues|claim*|explained|pointed out"
              "|made the case|presented|the speaker|the presenter|she|he|their|they|predictor",
        "de": "studie*|daten|zahlen|zahl|evidenz|forschung|umfrage|untersucht*|gezeigt|zeigt"
              "|zeigte|ergebnis*|laut|prozent|gemessen|patient*|verglichen|gesunken|gestiegen"
              "|halbiert|verdoppelt|reduziert|sagt*|gesagt|meint*|argumentiert*|betont*"
              "|präsentiert*|referent*|sprecherin|sie|er",
        "es": "estudio*|datos|evidencia|investigación|encuesta|mostró|muestra|demostró|resultado*"
              "|según|por ciento|medido|pacientes|comparado|redujo|reduce|bajó|subió|mitad|doble"
              "|triple|dijo|dice|explicó|comentaron|comentó|defendió|presentó|ponente",
        "fr": "étude*|données|preuve*|recherche*|enquête|montré|montre|résultat*|selon|d'après"
              "|pour cent|mesuré*|patients|comparé*|réduit|baissé|augmenté|moitié|deux fois"
              "|trois fois|dit|explique|expliqué|affirme|présenté|intervenant*|conférencière|ils"
              "|elle",
        "pt": "estudo*|pesquisa*|dados|evidência*|mostrou|mostra|resultado*|segundo|por cento"
              "|medido|pacientes|comparado|reduziu|diminuiu|caiu|aumentou|metade|dobrou|disse|diz"
              "|explicou|defendeu|falaram|falou|apresentou|palestrante",
        "nl": "onderzoek*|studie*|data|cijfer*|bewijs|enquête|liet zien|laat zien|toonde|resultaat"
              "|resultaten|volgens|procent|gemeten|patiënten|vergeleken|daalde|steeg|gehalveerd"
              "|verdubbeld|zei|zegt|legde uit|betoogde|spreker|presenteerde|bleek",
        "ja": "研究|データ|調査|結果|によると|割|倍|半減|減った|減少|増えた|比較|患者|事例|報告|示し|紹介され|とのこと|そう。|らしい|主張|講演者|発表では"
              "|だった",
    },
    # Recommending or prescribing: "should", "don't", "always", "better".
    "advice": {
        "en": "should|must|need to|needs to|have to|don't|do not|never|always|avoid|make sure|stop"
              "|start|try|prefer|better|best practice|instead|worth|matters|is key|the key"
              "|essential|crucial|critical|important|beats|beat|outperform*|works|work|only if"
              "|rather than",
        "de": "sollte*|muss|müssen|immer|nie|niemals|vermeiden|lieber|besser|wichtig|entscheidend"
              "|lohnt sich|braucht|brauchen|statt|anstatt|schlägt|wirkt|hilft",
        "es": "hay que|debe*|deberíamos|nunca|siempre|evita*|mejor|importante|funciona|conviene"
              "|merece la pena|vale la pena|en vez de|en lugar de|gana|ganan|supera",
        "fr": "il faut|faut|doit|devrait|devraient|jamais|toujours|éviter|évitez|mieux|important"
              "|crucial|marche|fonctionne|vaut|au lieu de|plutôt que|battent|bat",
        "pt": "precisa*|deve*|deveria*|nunca|sempre|evite|evitar|melhor|importante|essencial"
              "|funciona|vale a pena|em vez de|ao invés de|vence",
        "nl": "moet*|moeten|zou*|nooit|altijd|vermijd*|beter|belangrijk|essentieel|werkt|loont"
              "|in plaats van|liever|winnen|wint",
        "ja": "べき|大事|大切|重要|必要|方がいい|ほうがいい|効く|効果|有効|勝つ|に勝る|変えるべき",
    },
    # Causal and contrastive connectives; substance tends to come with them.
    "causal": {
        "en": "because|so|therefore|which means|means|otherwise|instead|but|unless|not|more than"
              "|less than|fewer|faster|slower|than|vs|versus|without|while",
        "de": "weil|deshalb|daher|also|dadurch|sonst|aber|sondern|nicht|mehr als|weniger als"
              "|schneller|als|ohne|weniger|mehr",
        "es": "porque|por eso|así que|entonces|si no|pero|sino|no|más que|menos que|que|sin|menos"
              "|más",
        "fr": "parce que|car|donc|alors|sinon|mais|pas|plus que|moins que|que|sans|moins|plus",
        "pt": "porque|por isso|então|senão|mas|não|mais que|menos que|do que|sem|menos|mais",
        "nl": "omdat|dus|daarom|anders|maar|niet|meer dan|minder dan|dan|zonder|minder|meer",
        "ja": "から|ので|ため|だけで|より|ではなく|じゃなく|むしろ|なのに",
    },
    # Material people share.
    "resource_noun": {
        "en": "slide*|deck|recording*|video*|vod|replay|paper|preprint|article|repo|repository"
              "|code|notebook|notes|sketchnote*|handout*|worksheet*|template*|checklist|materials"
              "|material|resources|transcript|playlist|pdf|dataset|data set|link*|doc|document*"
              "|poster|book|reading list|cheat sheet|toolkit|guide|writeup*|write-up|blog post"
              "|thread|live-blog|liveblog|methodology|youtube|vimeo|github|gitlab|speakerdeck"
              "|slideshare|arxiv|zenodo|channel|page",
        "de": "folie*|slides|präsentation|aufzeichnung*|video*|mitschnitt|paper|artikel|code|repo*"
              "|notizen|mitschrift*|sketchnote*|unterlagen|material*|vorlage*|checkliste"
              "|arbeitsblatt|handout|datensatz|buch|leseliste|link*|pdf|playlist|dokumentation"
              "|skript|live-notizen",
        "es": "diapositiva*|transparencias|slides|presentación|grabación|vídeo*|video*|artículo"
              "|paper|código|repositorio|repo|apuntes|notas|sketchnote*|materiales|material"
              "|plantilla*|ficha|pdf|dataset|libro|enlace*|link",
        "fr": "slides|diapo*|support*|présentation|vidéo*|replay|enregistrement|captation|article"
              "|code|dépôt|repo|notes|sketchnote*|matériel|modèle*|checklist|fiche|pdf"
              "|jeu de données|livre|lien*|playlist|documentation",
        "pt": "slides|apresentação|gravação|vídeo*|artigo|paper|código|repositório|repo|anotações"
              "|notas|sketchnote*|material|materiais|modelo*|checklist|atividade|pdf|planilha"
              "|dataset|livro|link*",
        "nl": "slides|sheets|dia's|presentatie|opname|video*|artikel|paper|code|repo|repository"
              "|aantekeningen|live-aantekeningen|notities|sketchnote*|materiaal|sjabloon*"
              "|checklist|werkblad|pdf|dataset|boek|link*|playlist",
        "ja": "スライド|資料|動画|録画|アーカイブ|論文|コード|リポジトリ|メモ|ノート|テンプレート"
              "|チェックリスト|ワークシート|データセット|リンク|再生リスト|実況",
    },
    # "is up", "available", "here" — material being pointed at.
    "resource_avail": {
        "en": "are up|is up|now up|online|available|posted|published|uploaded|shared|here|here's"
              "|find|download*|check out|open access|free to use|for those who asked|if you missed"
              "|in case you missed|icymi|bookmark*|out now|is out|if anyone wants|for anyone"
              "|now on|is now on|are now on|in the app|under each",
        "de": "online|verfügbar|hier|gibt es hier|findet ihr|download|hochgeladen|veröffentlicht"
              "|geteilt|abrufbar|nachschauen|nachlesen|falls es jemand sucht|für alle",
        "es": "disponible*|en línea|online|aquí|aquí tenéis|ya están|ya está|subid*|publicad*"
              "|compartid*|descarga*|por si alguien|para quien",
        "fr": "en ligne|disponible*|voici|ici|publié*|partagé*|mis en ligne|télécharg*"
              "|pour ceux qui|si quelqu'un",
        "pt": "disponível|disponíveis|no ar|online|aqui|aqui estão|já está|já estão|publicad*"
              "|compartilh*|baixar|download|caso alguém|pra quem",
        "nl": "online|beschikbaar|hier|staan online|staat online|gedeeld|gepubliceerd|downloaden"
              "|voor wie|terugkijken",
        "ja": "公開|こちら|アップ|共有|ダウンロード|まとめました|掲載|置いて",
    },
    # Asking for help, advice, opinions, experience.
    "ask": {
        "en": "help|advice|tips|recommend*|suggestion*|pointer*|ideas|thoughts|opinion*"
              "|experience with|experiences|anyone|anybody|someone|somebody|does anyone|has anyone"
              "|can anyone|what do you|how do you|how do i|how can i|how should|where do i"
              "|would love|looking for|need help|curious|wondering|i wonder|asking for"
              "|question for|honest question|what's the best|is it worth|worth it|alternative*"
              "|please help|explain|could someone|can someone|how would|what would|how am i"
              "|any good",
        "de": "hilfe|helfen|rat|tipps|empfehl*|erfahrung*|jemand|kennt jemand|weiß jemand"
              "|hat jemand|kann jemand|frage|meinung*|ideen|suche|gesucht|wie geht ihr"
              "|wie macht ihr|was nutzt ihr|nutzt ihr|lohnt|alternative*|wie bereitet ihr"
              "|wie überzeugt",
        "es": "ayuda|ayudar*|consejo*|recomend*|sugerencia*|experiencia*|alguien|sabe alguien"
              "|alguien sabe|opinión|opiniones|ideas|busco|cómo hacéis|qué usáis|usáis|qué usan"
              "|alternativa*|pregunta|cómo puedo|cómo convencer",
        "fr": "aide|aider|conseil*|recommand*|suggestion*|expérience*|quelqu'un|qqn|avis|idées"
              "|je cherche|cherche|comment faites-vous|vous faites comment|vous utilisez"
              "|utilisez-vous|alternative*|question|au secours|comment convaincre",
        "pt": "ajuda|ajudar|conselho*|recomend*|indicam|indica|sugest*|experiência*|alguém|opinião"
              "|opiniões|ideias|preciso|como vocês|o que vocês|vocês usam|alternativa*|pergunta"
              "|socorro|dicas|como convencer",
        "nl": "hulp|help|advies|tips|aanrad*|raden jullie|aanbeveling*|suggestie*|ervaring*|iemand"
              "|weet iemand|heeft iemand|kan iemand|mening|ideeën|gezocht|zoek|hoe gaan jullie"
              "|hoe doen jullie|wat gebruiken jullie|jullie|alternatief|vraag|hoe overtuig",
        "ja": "教えて|知りたい|助けて|相談|アドバイス|おすすめ|オススメ|どうして|どうやって|どうすれば|どうしたら|いますか|ありますか|でしょうか|ですか|ますか|誰か"
              "|ご存じ|意見|悩んで|みなさん|みなさんの|どう準備",
    },
    # Venue, food, travel, schedule: the logistics of being there.
    "logistics": {
        "en": "room|hall|floor|wifi|wi-fi|password|coffee|lunch|breakfast|dinner|food|snacks|queue"
              "|line|badge*|lanyard*|registration|check-in|cloakroom|locker*|restroom*|toilet*"
              "|bathroom*|shuttle|bus|taxi|uber|train|flight|airport|parking|garage|hotel|venue"
              "|door*|entrance|map|schedule|agenda|app|moved|delayed|starts|starting|begins"
              "|cancelled|postponed|livestream|stream|recorded|ticket*|included|seat*|charger"
              "|reception|party|drinks|beer|tonight|tomorrow|lost and found|scarf|suitcase"
              "|auditorium|booth|expo|airbnb|back at",
        "de": "raum|saal*|halle*|etage|wlan|passwort|kaffee*|mittag*|essen|abendessen|frühstück"
              "|schlange|badge|namensschild|anmeldung|registrierung|garderobe|toilette*|shuttle*"
              "|bus|taxi|zug|flug|flughafen|bahnhof|parkplatz|parkhaus|hotel|eingang|tür|programm"
              "|app|verschoben|verspätung|beginnt|startet|pause|stream|aufgezeichnet|ticket*"
              "|inbegriffen|enthalten|platz|ladekabel|party|heute abend|morgen|uhr|koffer",
        "es": "sala|salón|planta|wifi|contraseña|café|comida|almuerzo|cena|desayuno|cola"
              "|acreditación*|credencial*|registro|guardarropa|baño*|aseo*|lanzadera|autobús|bus"
              "|taxi|tren|vuelo|aeropuerto|parking|aparcamiento|hotel|entrada|puerta|programa|app"
              "|retraso|retrasad*|empieza|comienza|pausa|streaming|grabará|incluid*|cargador"
              "|fiesta|esta noche|mañana|maleta",
        "fr": "salle|amphi*|étage|wifi|mot de passe|café|déjeuner|dîner|petit-déj*|file|badge*"
              "|accueil|inscription|vestiaire|toilettes|navette|bus|taxi|train|vol|aéroport"
              "|parking|hôtel|entrée|porte|programme|appli|retard|commence|reprise|pause|streaming"
              "|filmé*|billet*|compris|inclus|chargeur|soirée|ce soir|demain|valise",
        "pt": "sala|auditório|andar|wifi|senha|café|almoço|jantar|fila|crachá*|credenciamento"
              "|inscrição|guarda-volumes|banheiro*|ônibus|van|táxi|uber|trem|voo|aeroporto"
              "|estacionamento|hotel|entrada|porta|programação|app|atras*|começa|pausa|transmissão"
              "|gravad*|ingresso*|inclus*|carregador|festa|hoje à noite|amanhã|mala",
        "nl": "zaal|ruimte|verdieping|wifi|wachtwoord|koffie*|lunch|diner|ontbijt|rij|badge"
              "|registratie|garderobe|toilet*|pendelbus|bus|taxi|trein|vlucht|schiphol|luchthaven"
              "|parkeren|parkeerplaats|hotel|ingang|deur|programma|app|vertraging|vertraagd|begint"
              "|pauze|stream|opgenomen|ticket*|inbegrepen|oplader|borrel|feest|vanavond|morgen"
              "|koffer|lunchpauze",
        "ja": "会場|部屋|ホール|号館|wi-fi|wifi|パスワード|コーヒー|昼食|ランチ|弁当|夕食|懇親会|列|名札|受付|クローク|トイレ|シャトル|バス|タクシー"
              "|電車|新幹線|飛行機|空港|駐車場|ホテル|入口|ドア|タイムテーブル|アプリ|遅れ|遅延|開始|再開|休憩|配信|チケット|含まれ|席|充電器|今夜|明日"
              "|スーツケース|どの部屋|どこですか",
    },
    # Arriving, leaving, looking forward, greeting: being there without content.
    "status": {
        "en": "on my way|heading to|can't wait|cannot wait|looking forward|excited|here we go"
              "|let's go|packing|packed|arrived|just arrived|landed|first time|who else|see you"
              "|last day|back home|home again|good morning|morning|couldn't make|next year"
              "|starting now|live from|live-posting|watching|remote|day 1|day 2|day 3|next up"
              "|up next|stuck in traffic|rehearsed",
        "de": "unterwegs|auf dem weg|freue mich|freu mich|vorfreude|los geht's|gleich|angekommen"
              "|erstes mal|wer noch|bis bald|nächstes jahr|wieder zu hause|guten morgen|tag 1"
              "|tag 2|letzter tag|gepackt|geht's los",
        "es": "de camino|rumbo a|ganas|emocionad*|vamos|allá vamos|llegué|acabo de llegar"
              "|primera vez|quién más|nos vemos|año que viene|de vuelta|buenos días|día 1|día 2"
              "|último día|empieza",
        "fr": "en route|hâte|impatient*|c'est parti|arrivé*|première fois|qui d'autre|à bientôt"
              "|l'année prochaine|de retour|bonjour|jour 1|jour 2|dernier jour",
        "pt": "a caminho|indo para|ansios*|bora|chegando|cheguei|primeira vez|quem mais"
              "|ano que vem|de volta|bom dia|dia 1|dia 2|último dia|começa",
        "nl": "onderweg|zin in|kijk uit naar|daar gaan we|aangekomen|eerste keer|wie nog meer"
              "|volgend jaar|weer thuis|goedemorgen|dag 1|dag 2|laatste dag|begint",
        "ja": "向かって|楽しみ|わくわく|ワクワク|いよいよ|スタート|到着|初参加"
              "|よろしくお願いします|また来年|帰宅|おはよう|1日目|2日目|最終日|準備完了|明日から",
    },
    # Meeting up: social chatter that often comes as a question.
    "social": {
        "en": "anyone from|who else|let's meet|meet up|meetup|grab a|join us|join me|say hi"
              "|come say hi|split|share a|hang out|catch up|ping me|who's going|who is going"
              "|come chat|up for a|wish me luck",
        "de": "wer ist noch|treffen*|trifft|kommt mit|mitkommen|sag hallo|teilt jemand|wer kommt"
              "|drückt mir",
        "es": "alguien más de|quedamos|quedar|tomar algo|compartir|unirse|quién viene"
              "|alguien comparte",
        "fr": "quelqu'un de|on se retrouve|retrouver|boire un verre|partager|rejoindre|qui vient"
              "|des lyonnais|des parisiens",
        "pt": "alguém de|bora tomar|tomar um café|encontrar|dividir|quem vai",
        "nl": "nog iemand uit|afspreken|koffie drinken|delen|aansluiten|borrelen|wie gaat",
        "ja": "来てる人|一緒に|相乗り|会いましょう|どうですか|飲みに|行く人",
    },
    # Selling, recruiting, spamming.
    "promo": {
        "en": "discount*|promo*|coupon|code|sale|deal|offer|exclusive|limited|free trial|try our"
              "|our booth|visit us|visit our|stop by|booth|stand|sponsor*|sign up|register now"
              "|webinar|hiring|join our team|jobs|followers|likes|crypto|bitcoin|earn|click here"
              "|dm me|dm for|link in bio|giveaway|subscribe|follow us|buy|cheap|free|sponsored"
              "|proud to sponsor|our solution*",
        "de": "rabatt*|gutschein|code|angebot*|exklusiv*|gratis|kostenlos*|stand|besucht uns"
              "|sponsor*|webinar|anmelden|wir stellen ein|jobs|follower|krypto|klick*|jetzt kaufen"
              "|verlosung|gewinnspiel",
        "es": "descuento*|código|cupón|oferta*|exclusiv*|gratis|stand|visítanos|pasad por|pasa por"
              "|patrocin*|webinar|inscríbete|contratando|empleo|seguidores|cripto|haz clic|compra"
              "|sorteo",
        "fr": "réduction|remise|code|promo*|offre*|exclusi*|gratuit*|stand|passez|sponsor*"
              "|webinaire|inscrivez|recrute*|recrutons|abonnés|crypto|cliquez|achetez|concours"
              "|offerts",
        "pt": "desconto*|cupom|código|oferta*|exclusiv*|grátis|gratuito|estande|passa no|patrocin*"
              "|webinar|inscreva|contratando|vagas|seguidores|cripto|clique|compre|sorteio",
        "nl": "korting|kortingscode|code|aanbieding*|exclusie*|gratis|stand|kom langs|sponsor*"
              "|webinar|schrijf je in|vacature*|we zoeken|volgers|crypto|klik|koop",
        "ja": "割引|オフ|クーポン|キャンペーン|限定|無料|ブース|お立ち寄り|スポンサー|採用|募集"
              "|フォロワー|仮想通貨|クリック|購入|プレゼント",
    },
    "joke": {
        "en": "lol|lmao|haha*|hehe|rofl|send help|classic|oops|hot take|also me|note to self"
              "|demo gods",
        "de": "haha*|lol|klassiker|hilfe",
        "es": "jaja*|jeje*|xd|lol|socorro",
        "fr": "mdr|ptdr|lol|haha*|à l'aide",
        "pt": "kkk*|rsrs*|haha*|socorro",
        "nl": "haha*|lol|hihi|help",
        "ja": "草|ww|笑|助けて",
    },
    # Personal pronouns: first person narrates, second person addresses readers.
    # Irony and complaint: the words say one thing, the post means "look at this mess".
    "irony": {
        "en": "can't make this up|cannot make this up|can't make it up|chef's kiss|sorry not sorry"
              "|because of course|of course the|love that for us|what could possibly go wrong"
              "|what could go wrong|said no one|nothing says|the irony|ironic*|so much for"
              "|yet another|great another|oh great|oh good|thanks for nothing|ugh|sigh|smh"
              "|why is it always|every single time|truly inspiring|how convenient|peak",
        "de": "kann man sich nicht ausdenken|kann sich das nicht ausdenken|nicht ausdenken|ironie"
              "|ironisch*|na toll|na super|na klasse|mal wieder|schon wieder|wie immer"
              "|frage für einen freund|sorry not sorry|typisch|seufz|ernsthaft|echt jetzt"
              "|wer hat eigentlich|jedes mal",
        "es": "no se puede inventar|no te lo puedes inventar|ironía|irónic*|qué maravilla"
              "|cómo no|como siempre|otra vez|una vez más|pregunto por un amigo|típico|clásico"
              "|muy saludable todo|en serio|cada vez|nada como",
        "fr": "ça ne s'invente pas|on ne peut pas inventer|ironie|ironique*|comme d'hab"
              "|comme d'habitude|encore une fois|encore un|je demande pour un ami|typique"
              "|classique|sérieusement|chaque fois|rien de tel|évidemment",
        "pt": "não dá pra inventar|não dá para inventar|ironia|irônic*|como sempre|de novo"
              "|mais uma vez|pergunto por um amigo|típico|clássico|sério mesmo|toda vez"
              "|nada como|claro que",
        "nl": "je kunt het niet verzinnen|niet te verzinnen|kun je niet verzinnen|ironie"
              "|ironisch*|natuurlijk weer|zoals altijd|alweer|weer eens|vraag voor een vriend"
              "|typisch|klassiek|serieus|nou echt|echt zo moeilijk|elke keer",
        "ja": "皮肉|またか|いつも通り|相変わらず|お約束|毎回|なんで|なぜか|さすが",
    },
    # Questions that want company, not an answer ("just me?", "anyone else?").
    "rhetorical": {
        "en": "anyone else|just me|only me|is it just me|am i the only|who decided|why do all"
              "|why does every|why is every|raise your hand|who else|be honest|you too",
        "de": "nur ich|nur mir|bin ich die einzige|bin ich der einzige|geht das nur mir so"
              "|wer hat entschieden|warum haben alle|warum müssen|ihr auch|wer noch|geht es euch",
        "es": "solo yo|sólo yo|soy el único|soy la única|a alguien más|alguien más|quién decidió"
              "|por qué todos|por qué todas|vosotros también|ustedes también",
        "fr": "vous aussi|moi seul|je suis le seul|je suis la seule|suis-je le seul"
              "|suis-je la seule|qui a décidé|pourquoi tous|pourquoi toutes|c'est moi ou",
        "pt": "só eu|alguém mais|sou o único|sou a única|quem decidiu|por que todo|por que toda"
              "|vocês também|é impressão minha",
        "nl": "alleen ik|ben ik de enige|wie heeft bedacht|wie bedenkt|waarom hebben alle"
              "|jullie ook|wie nog meer|is het nou",
        "ja": "私だけ|自分だけ|僕だけ|俺だけ|みんなも|あるある|わかる人|分かる人",
    },
    # A question the post answers itself ("Did you know...? Turns out...").
    "reveal": {
        "en": "did you know|turns out|it turns out|the answer|answer|spoiler|the reason is"
              "|here's why|here is why|guess what",
        "de": "wusstet ihr|wussten sie|wusstest du|stellt sich heraus|die antwort|antwort"
              "|spoiler|der grund|deshalb",
        "es": "sabías que|sabíais que|sabían que|resulta que|la respuesta|respuesta|spoiler"
              "|la razón|el motivo",
        "fr": "saviez-vous|vous saviez que|le saviez-vous|tu savais que|il s'avère|la réponse"
              "|réponse|spoiler|la raison",
        "pt": "você sabia|sabia que|sabiam que|vocês sabiam|acontece que|a resposta|resposta"
              "|spoiler|o motivo|a razão",
        "nl": "wist je dat|wisten jullie|blijkt|bleek|het antwoord|antwoord|spoiler|de reden",
        "ja": "ご存知|ご存じでしたか|知ってました|実は|答えは|正解は|理由は|なぜなら",
    },
    "first_person": {
        "en": "i|i'm|i've|my|me|we|our|us",
        "de": "ich|mein*|mir|mich|wir|uns|unser*",
        "es": "yo|mi|mis|me|nosotros|nos|nuestr*",
        "fr": "je|j'ai|mon|ma|mes|moi|nous|nos|notre|on",
        "pt": "eu|meu|minha|meus|minhas|nós|nosso*|nossa*|a gente",
        "nl": "ik|mijn|me|mij|wij|we|ons|onze",
        "ja": "私|僕|自分|うち",
    },
    "second_person": {
        "en": "you|your|you're|y'all|folks",
        "de": "ihr|euch|eure*|du|dein*",
        "es": "vosotros|vosotras|os|vuestr*|ustedes|tú|tu|te",
        "fr": "vous|votre|vos|tu|ton|ta|tes",
        "pt": "vocês|você|seu|sua|teu|tua",
        "nl": "jullie|je|jij|jouw|u|uw",
        "ja": "みなさん|皆さん|あなた",
    },
}

# Words that open a question when they start a sentence. English auxiliaries count too
# ("Does anyone...", "Is it worth..."), but only at the start of a sentence.
QUESTION_STARTERS: dict[str, str] = {
    "en": "what|how|why|when|where|which|who|whose|is|are|does|do|did|can|could|would|should|will"
          "|has|have|anyone|any|was|were|am",
    "de": "wie|was|warum|wieso|weshalb|wo|wann|welche*|wer|hat|haben|kann|können|gibt|ist|sind"
          "|weiß|kennt|nutzt|macht|soll|sollte|lohnt|validiert|habt|seid",
    "es": "qué|cómo|por qué|cuándo|dónde|cuál*|quién*|hay|alguien|sabéis|sabe|tenéis|usáis|es|vale"
          "|validáis",
    "fr": "comment|pourquoi|quand|où|quel*|qui|que|qu'est-ce|est-ce|combien|quelqu'un|vous"
          "|validez-vous|une méthode",
    "pt": "como|por que|quando|onde|qual|quais|quem|o que|alguém|vocês|tem|é|vale|que",
    "nl": "hoe|wat|waarom|wanneer|waar|welke|wie|is|zijn|heeft|hebben|kan|kunnen|weet|gebruiken"
          "|doen|zit|draait|wordt",
}

# Japanese sentence endings that make a question even without a question mark.
JA_QUESTION_ENDINGS = ("か", "ですか", "ますか", "でしょうか", "かな", "教えてください", "ください",
                       "知りたいです", "いませんか", "ありますか")

EMOJI_CLASSES: dict[str, str] = {
    "applause": "👏🙌🎉🏆💐🥳🔥💯⭐🌟✨👍🎊🤩",
    "heart": "❤💙💛💚💜🧡🖤🤍🥰😍🙏💗💖",
    "pointer": "👉👇➡→🔗📎📄📑🎥📹📺🎬📊📈🎨🧵📝📚",
    "laugh": "😂🤣😅😆😄🙃😬😭😩😴🤯😱🫠😵🥲",
    "thinking": "🤔❓❔🧐",
    "eyeroll": "🙄🤷😒😤🫤🤦",
    "insight": "💡📌⚠🧠",
    "travel": "🚆🚄✈🚕☕🍱🍻🎒📸☀🚌🚗🍕🥐🍷🐈",
    "money": "💰💸🚀🤑🎁🛒🚨",
}

# Link domains, by what they usually hold. Checked against the host and host+path.
DOMAIN_CLASSES: dict[str, tuple[str, ...]] = {
    "slides": ("speakerdeck.com", "slideshare.net", "slides.com", "docs.google.com/presentation",
               "pitch.com", "prezi.com", "slides."),
    "video": ("youtube.com", "youtu.be", "vimeo.com", "media.ccc.de", "peertube", "twitch.tv",
              "dailymotion.com", "tilvids.com", "wistia", "nicovideo.jp"),
    "code": ("github.com", "gitlab.com", "codeberg.org", "bitbucket.org", "sr.ht",
             "huggingface.co", "pypi.org", "crates.io", "npmjs.com", "colab.research.google.com",
             "kaggle.com", "observablehq.com", "nbviewer", "gitea", "gist."),
    "paper": ("arxiv.org", "doi.org", "pubmed.ncbi.nlm.nih.gov", "ncbi.nlm.nih.gov", "biorxiv.org",
              "medrxiv.org", "zenodo.org", "osf.io", "ssrn.com", "researchgate.net",
              "scholar.google", "acm.org", "ieee.org", "springer.com", "nature.com",
              "sciencedirect.com", "thelancet.com", "nejm.org", "bmj.com", "jamanetwork.com",
              "plos.org", "frontiersin.org", "semanticscholar.org", "hal.science", "scielo",
              "jstage.jst.go.jp", "cochranelibrary.com", "who.int/publications"),
    "notes": ("hackmd.io", "notion.site", "notion.so", "docs.google.com/document", "pad.",
              "etherpad", "cryptpad", "dropbox.com", "drive.google.com", "drive.", "cloud.",
              "notes.", "box.com", "onedrive", "scrapbox.io", "qiita.com", "zenn.dev",
              "note.com"),
    "blog": ("medium.com", "substack.com", "wordpress", "blogspot", "dev.to", "hashnode",
             "ghost.io", "blog", "write.as"),
    "social": ("bsky.app", "twitter.com", "x.com", "threads.net", "linkedin.com/posts",
               "mastodon.", "mstdn.", "fosstodon.org", "hachyderm.io", "/@"),
    "shop": ("shop.", "store.", "promo.", "boutique.", "loja.", "tienda.", "amazon.", "amzn.",
             "eventbrite", "bit.ly", ".biz", ".xyz", "webinar.", "cheap", "scam", "etsy.com"),
    "data": ("data.", ".gov", "govdata", "europa.eu", "datos.", "dados.", "opendata",
             "data.gouv", "kaggle.com/datasets"),
}

FILE_CLASSES: dict[str, tuple[str, ...]] = {
    "doc": (".pdf", ".pptx", ".ppt", ".key", ".odp", ".docx", ".doc", ".odt"),
    "data": (".csv", ".json", ".parquet", ".xlsx", ".zip", ".ipynb"),
    "image": (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"),
    "media": (".mp4", ".webm", ".mp3", ".m4a"),
}

