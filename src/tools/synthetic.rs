//! Believable fake events for benchmarking and tests, without a database.
//!
//! The real cities of `tools::places` (coordinates, currencies), a few venues each (real names
//! for a handful of famous ones, local-language patterns for the rest), real performer, opera,
//! play, comedian and team names with a skewed popularity (so "Taylor Swift" has thousands of
//! events and a support act a handful), tours, shows spread over two years and price ranges.
//! The output is a deterministic function of `(n, seed)`; event ids are `1..=n`.
//!
//! It deliberately does not model anything the search engine ignores (seat maps, sections,
//! sales) and prices are not converted between currencies.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::search::EventDoc;
use crate::tools::places::PLACES;

/// 2025-06-01T00:00:00Z: shows are spread around this instant; use it as `now_ms` in benches.
pub const SYNTHETIC_NOW_MS: i64 = 1_748_736_000_000;
const DAY_MS: i64 = 86_400_000;

/// Famous venues: (city, venue name, suitable categories).
const FAMOUS_VENUES: &[(&str, &str)] = &[
    ("London", "Wembley Stadium"),
    ("London", "The O2"),
    ("London", "Royal Albert Hall"),
    ("London", "Royal Opera House"),
    ("London", "Shakespeare's Globe"),
    ("Paris", "Accor Arena"),
    ("Paris", "Stade de France"),
    ("Paris", "Palais Garnier"),
    ("Paris", "Olympia"),
    ("Berlin", "Uber Arena"),
    ("Berlin", "Olympiastadion"),
    ("Berlin", "Staatsoper Unter den Linden"),
    ("Berlin", "Philharmonie Berlin"),
    ("München", "Olympiahalle"),
    ("München", "Allianz Arena"),
    ("München", "Nationaltheater"),
    ("New York", "Madison Square Garden"),
    ("New York", "Metropolitan Opera House"),
    ("New York", "Carnegie Hall"),
    ("Wien", "Wiener Staatsoper"),
    ("Wien", "Musikverein"),
    ("Wien", "Wiener Stadthalle"),
    ("Milano", "Teatro alla Scala"),
    ("Milano", "Stadio San Siro"),
    ("Madrid", "Estadio Santiago Bernabéu"),
    ("Madrid", "Teatro Real"),
    ("Barcelona", "Palau Sant Jordi"),
    ("Barcelona", "Gran Teatre del Liceu"),
    ("Amsterdam", "Ziggo Dome"),
    ("Amsterdam", "Concertgebouw"),
    ("Los Angeles", "Hollywood Bowl"),
    ("Los Angeles", "SoFi Stadium"),
    ("Sydney", "Sydney Opera House"),
    ("Tokyo", "Tokyo Dome"),
    ("Hamburg", "Elbphilharmonie"),
    ("Dresden", "Semperoper"),
    ("Köln", "Lanxess Arena"),
    ("Zürich", "Hallenstadion"),
    ("København", "Royal Arena"),
    ("Stockholm", "Friends Arena"),
];

const VENUE_PATTERNS_DE: &[&str] = &[
    "{c} Stadthalle",
    "Staatstheater {c}",
    "Philharmonie {c}",
    "Arena {c}",
    "Konzerthaus {c}",
];
const VENUE_PATTERNS_FR: &[&str] = &[
    "Zénith de {c}",
    "Opéra de {c}",
    "Théâtre municipal de {c}",
    "Palais des Sports de {c}",
];
const VENUE_PATTERNS_ES: &[&str] = &[
    "Teatro Principal de {c}",
    "Palacio de Deportes de {c}",
    "Estadio Municipal de {c}",
    "Auditorio de {c}",
];
const VENUE_PATTERNS_IT: &[&str] = &[
    "Teatro Comunale di {c}",
    "Palazzetto dello Sport di {c}",
    "Stadio di {c}",
    "Auditorium di {c}",
];
const VENUE_PATTERNS_NORDIC: &[&str] = &["{c} Konserthus", "{c} Arena", "{c} Teater"];
const VENUE_PATTERNS_EN: &[&str] = &[
    "{c} Arena",
    "{c} Symphony Hall",
    "{c} Stadium",
    "The {c} Theatre",
    "{c} Convention Centre",
];

fn venue_patterns(country: &str) -> &'static [&'static str] {
    match country {
        "DE" | "AT" | "CH" => VENUE_PATTERNS_DE,
        "FR" | "BE" | "LU" => VENUE_PATTERNS_FR,
        "ES" | "MX" | "AR" | "CL" | "CO" | "PE" | "UY" | "PY" | "EC" | "VE" | "BO" | "CR"
        | "PA" | "GT" | "DO" | "CU" | "PT" | "BR" => VENUE_PATTERNS_ES,
        "IT" => VENUE_PATTERNS_IT,
        "SE" | "NO" | "DK" | "FI" | "IS" => VENUE_PATTERNS_NORDIC,
        _ => VENUE_PATTERNS_EN,
    }
}

/// Concert performers, most popular first. (name, signature tour if any)
const MUSICIANS: &[(&str, &str)] = &[
    ("Taylor Swift", "The Eras Tour"),
    ("Coldplay", "Music of the Spheres World Tour"),
    ("Ed Sheeran", "Mathematics Tour"),
    ("Beyoncé", "Renaissance World Tour"),
    ("Metallica", "M72 World Tour"),
    ("Bruce Springsteen", "Land of Hope and Dreams Tour"),
    ("Pink", "Summer Carnival"),
    ("Harry Styles", "Love On Tour"),
    ("Rammstein", "Stadium Tour"),
    ("Billie Eilish", "Hit Me Hard and Soft Tour"),
    ("Dua Lipa", "Radical Optimism Tour"),
    ("The Weeknd", "After Hours til Dawn"),
    ("Bad Bunny", "Most Wanted Tour"),
    ("Adele", "Weekends with Adele"),
    ("The Rolling Stones", "Hackney Diamonds Tour"),
    ("U2", "UV Achtung Baby Live"),
    ("Björk", "Cornucopia"),
    ("Rosalía", "Motomami World Tour"),
    ("Kendrick Lamar", "Grand National Tour"),
    ("Lady Gaga", "The Mayhem Ball"),
    ("Bruno Mars", ""),
    ("Imagine Dragons", "Loom World Tour"),
    ("Foo Fighters", "Everything or Nothing at All Tour"),
    ("Red Hot Chili Peppers", "Unlimited Love Tour"),
    ("Pearl Jam", "Dark Matter World Tour"),
    ("Muse", "Will of the People Tour"),
    ("Arctic Monkeys", ""),
    ("Radiohead", ""),
    ("Depeche Mode", "Memento Mori World Tour"),
    ("Die Toten Hosen", ""),
    ("Helene Fischer", "Rausch Live"),
    ("Herbert Grönemeyer", ""),
    ("Kraftwerk", "3-D Der Katalog"),
    ("Sigur Rós", ""),
    ("Stromae", "Multitude Tour"),
    ("Angèle", ""),
    ("Indochine", ""),
    ("Mylène Farmer", "Nevermore"),
    ("Måneskin", "Rush! World Tour"),
    ("Laura Pausini", ""),
    ("Eros Ramazzotti", ""),
    ("Andrea Bocelli", ""),
    ("Shakira", "Las Mujeres Ya No Lloran World Tour"),
    ("Karol G", "Mañana Será Bonito Tour"),
    ("J Balvin", ""),
    ("Juanes", ""),
    ("Alejandro Sanz", ""),
    ("Jorge Drexler", ""),
    ("Caetano Veloso", ""),
    ("Gilberto Gil", ""),
    ("Anitta", ""),
    ("Marisa Monte", ""),
    ("Elton John", "Farewell Yellow Brick Road"),
    ("Paul McCartney", "Got Back"),
    ("Billy Joel", ""),
    ("Eagles", "The Long Goodbye"),
    ("AC/DC", "Power Up Tour"),
    ("Iron Maiden", "Run for Your Lives World Tour"),
    ("Guns N' Roses", ""),
    ("Green Day", "The Saviors Tour"),
    ("Linkin Park", "From Zero World Tour"),
    ("Slipknot", ""),
    ("Ghost", "Skeletour"),
    ("Nightwish", ""),
    ("Sabaton", ""),
    ("Tool", ""),
    ("System of a Down", ""),
    ("Queens of the Stone Age", ""),
    ("The Killers", ""),
    ("Kings of Leon", ""),
    ("Florence + The Machine", ""),
    ("Lana Del Rey", ""),
    ("Lorde", ""),
    ("Sia", ""),
    ("Olivia Rodrigo", "Guts World Tour"),
    ("Sabrina Carpenter", "Short n' Sweet Tour"),
    ("Ariana Grande", ""),
    ("Miley Cyrus", ""),
    ("Shawn Mendes", ""),
    ("Justin Bieber", ""),
    ("Post Malone", ""),
    ("Travis Scott", "Circus Maximus Tour"),
    ("Eminem", ""),
    ("SZA", ""),
    ("Doja Cat", ""),
    ("Lizzo", ""),
    ("Janelle Monáe", ""),
    ("Alicia Keys", ""),
    ("John Legend", ""),
    ("Norah Jones", ""),
    ("Diana Krall", ""),
    ("Jamie Cullum", ""),
    ("Gregory Porter", ""),
    ("Herbie Hancock", ""),
    ("Pat Metheny", ""),
    ("Kamasi Washington", ""),
    ("Snarky Puppy", ""),
    ("Hans Zimmer", "Hans Zimmer Live"),
    ("Ludovico Einaudi", ""),
    ("Max Richter", ""),
    ("Yo-Yo Ma", ""),
    ("Lang Lang", ""),
    ("Anne-Sophie Mutter", ""),
    ("Martha Argerich", ""),
    ("Igor Levit", ""),
    ("Yuja Wang", ""),
    ("Berliner Philharmoniker", ""),
    ("Wiener Philharmoniker", ""),
    ("London Symphony Orchestra", ""),
    ("Royal Concertgebouw Orchestra", ""),
    ("Chicago Symphony Orchestra", ""),
    ("Röyksopp", ""),
    ("Robyn", ""),
    ("Zara Larsson", ""),
    ("Swedish House Mafia", ""),
    ("David Guetta", ""),
    ("Calvin Harris", ""),
    ("Martin Garrix", ""),
    ("Tiësto", ""),
    ("Armin van Buuren", ""),
    ("Peggy Gou", ""),
    ("Fred again..", ""),
    ("The Chemical Brothers", ""),
    ("Massive Attack", ""),
    ("Portishead", ""),
    ("Gorillaz", ""),
    ("Blur", ""),
    ("Oasis", "Live '25"),
    ("Pulp", ""),
    ("The Cure", "Songs of a Lost World Tour"),
    ("New Order", ""),
    ("Pet Shop Boys", "Dreamworld"),
    ("Simply Red", ""),
    ("Sting", ""),
    ("Peter Gabriel", "i/o The Tour"),
    ("Deep Purple", ""),
    ("Scorpions", ""),
    ("Bon Jovi", ""),
    ("Aerosmith", ""),
    ("Kiss", ""),
    ("Toto", ""),
    ("Santana", ""),
    ("Carlos Vives", ""),
    ("Manu Chao", ""),
    ("Buena Vista Social Club", ""),
    ("Burna Boy", ""),
    ("Wizkid", ""),
    ("Tems", ""),
    ("Angélique Kidjo", ""),
    ("Youssou N'Dour", ""),
    ("BTS", ""),
    ("BLACKPINK", "Born Pink"),
    ("Stray Kids", ""),
    ("TWICE", ""),
    ("Seventeen", ""),
    ("Hikaru Utada", ""),
    ("Babymetal", ""),
    ("Jay Chou", ""),
    ("Mayday", ""),
    ("A. R. Rahman", ""),
    ("Arijit Singh", ""),
    ("Mumford & Sons", ""),
    ("Hozier", ""),
    ("The Lumineers", ""),
    ("Bon Iver", ""),
    ("Fleet Foxes", ""),
    ("Vampire Weekend", ""),
    ("Tame Impala", ""),
    ("Khruangbin", ""),
    ("Parcels", ""),
    ("Phoenix", ""),
    ("Air", ""),
    ("Justice", ""),
    ("Zaz", ""),
    ("Vianney", ""),
    ("Orelsan", ""),
    ("Aya Nakamura", ""),
    ("Cro", ""),
    ("Peter Fox", ""),
    ("Apache 207", ""),
    ("Clueso", ""),
    ("Mark Forster", ""),
    ("Udo Lindenberg", ""),
    ("Nena", ""),
    ("Tokio Hotel", ""),
    ("Seeed", ""),
];

const TOURS: &[&str] = &[
    "World Tour",
    "Live",
    "Greatest Hits Tour",
    "Stadium Tour",
    "Arena Tour",
    "Unplugged",
    "Farewell Tour",
    "Homecoming",
    "Midnight Sun",
    "Electric Dreams",
    "Golden Hour",
    "Neon Nights",
    "Wild Horses",
    "Northern Lights",
    "Summer Nights",
    "After Dark",
    "Echoes",
    "Wildfire",
    "Gravity",
    "Horizons",
    "Silver Lining",
    "Paper Moons",
    "Open Roads",
    "Night Visions",
    "Infinity",
    "Heartbeat",
    "Parallel Lines",
    "Kaleidoscope",
    "Sound & Vision",
    "Lost in Time",
    "Higher Ground",
    "Evergreen",
    "Velvet Thunder",
    "Acoustic Evening",
    "Anniversary Tour",
    "In Concert",
];

const COMEDIANS: &[&str] = &[
    "Ricky Gervais",
    "Dave Chappelle",
    "John Mulaney",
    "Trevor Noah",
    "Jimmy Carr",
    "Eddie Izzard",
    "Sarah Millican",
    "Michael McIntyre",
    "Bill Burr",
    "Ali Wong",
    "Kevin Hart",
    "Nate Bargatze",
    "Taylor Tomlinson",
    "Jerry Seinfeld",
    "Chris Rock",
    "Sebastian Maniscalco",
    "Romesh Ranganathan",
    "James Acaster",
    "Mo Gilligan",
    "Jack Whitehall",
    "Katherine Ryan",
    "Gad Elmaleh",
    "Jamel Debbouze",
    "Florence Foresti",
    "Blanche Gardin",
    "Michael Mittermeier",
    "Carolin Kebekus",
    "Bülent Ceylan",
    "Torsten Sträter",
    "Hazel Brugger",
    "Dylan Moran",
    "Tommy Tiernan",
    "Jim Jefferies",
];

const COMEDY_SHOWS: &[&str] = &[
    "Live",
    "Armageddon",
    "Work in Progress",
    "Unfiltered",
    "Mind the Gap",
    "Off the Record",
    "Out of Order",
    "Straight Talk",
    "Laughing Matters",
    "Terribly Funny",
    "Natural Selection",
    "Good Grief",
    "The Comeback",
    "Deep Cuts",
];

const PLAYS: &[&str] = &[
    "Hamlet",
    "Macbeth",
    "King Lear",
    "Romeo and Juliet",
    "A Midsummer Night's Dream",
    "The Tempest",
    "Othello",
    "Twelfth Night",
    "Much Ado About Nothing",
    "Death of a Salesman",
    "A Streetcar Named Desire",
    "Waiting for Godot",
    "The Importance of Being Earnest",
    "Les Misérables",
    "The Phantom of the Opera",
    "Cats",
    "Hamilton",
    "The Lion King",
    "Wicked",
    "Mamma Mia!",
    "Chicago",
    "Cabaret",
    "Mary Poppins",
    "Matilda the Musical",
    "The Book of Mormon",
    "Six",
    "Moulin Rouge! The Musical",
    "Jesus Christ Superstar",
    "West Side Story",
    "Cyrano de Bergerac",
    "Le Misanthrope",
    "Tartuffe",
    "Faust",
    "Die Dreigroschenoper",
    "Woyzeck",
    "Der Besuch der alten Dame",
    "Nathan der Weise",
    "Peer Gynt",
    "Hedda Gabler",
    "A Doll's House",
    "The Cherry Orchard",
    "Three Sisters",
    "La vida es sueño",
    "Bodas de sangre",
    "Sei personaggi in cerca d'autore",
];

const THEATRE_COMPANIES: &[&str] = &[
    "Royal Shakespeare Company",
    "National Theatre",
    "Comédie-Française",
    "Berliner Ensemble",
    "Schaubühne Berlin",
    "Burgtheater",
    "Deutsches Theater",
    "Thalia Theater",
    "Piccolo Teatro di Milano",
    "Teatro de la Abadía",
    "Abbey Theatre",
    "Steppenwolf Theatre Company",
    "Broadway Touring Company",
    "West End Touring Company",
    "Ian McKellen",
    "Mark Rylance",
    "Cate Blanchett",
    "Andrew Scott",
    "Isabelle Huppert",
    "Lars Eidinger",
    "Sandra Hüller",
];

const OPERAS: &[&str] = &[
    "Die Zauberflöte",
    "La Traviata",
    "Carmen",
    "Tosca",
    "La Bohème",
    "Madama Butterfly",
    "Aida",
    "Rigoletto",
    "Don Giovanni",
    "Le nozze di Figaro",
    "Così fan tutte",
    "Il barbiere di Siviglia",
    "Der Rosenkavalier",
    "Salome",
    "Elektra",
    "Tristan und Isolde",
    "Die Walküre",
    "Das Rheingold",
    "Götterdämmerung",
    "Parsifal",
    "Lohengrin",
    "Der fliegende Holländer",
    "Fidelio",
    "Eugene Onegin",
    "Pique Dame",
    "Rusalka",
    "Turandot",
    "Nabucco",
    "Otello",
    "Falstaff",
    "Lucia di Lammermoor",
    "L'elisir d'amore",
    "Norma",
    "Les contes d'Hoffmann",
    "Werther",
    "Pelléas et Mélisande",
    "Peter Grimes",
    "Wozzeck",
    "Hänsel und Gretel",
    "Die Fledermaus",
    "Die lustige Witwe",
];

const OPERA_COMPANIES: &[&str] = &[
    "Bayerische Staatsoper",
    "Wiener Staatsoper",
    "The Royal Opera",
    "Metropolitan Opera",
    "Teatro alla Scala",
    "Opéra national de Paris",
    "Staatsoper Unter den Linden",
    "Sächsische Staatsoper Dresden",
    "Gran Teatre del Liceu",
    "Teatro Real",
    "Dutch National Opera",
    "English National Opera",
];

const SINGERS: &[&str] = &[
    "Anna Netrebko",
    "Jonas Kaufmann",
    "Cecilia Bartoli",
    "Plácido Domingo",
    "Juan Diego Flórez",
    "Elīna Garanča",
    "Diana Damrau",
    "Bryn Terfel",
    "Renée Fleming",
    "Joyce DiDonato",
    "Lisette Oropesa",
    "Piotr Beczała",
    "Rolando Villazón",
    "Sonya Yoncheva",
    "Asmik Grigorian",
    "Lise Davidsen",
    "Benjamin Bernheim",
    "Pretty Yende",
];

/// Teams grouped by sport; a match pairs two teams of the same group.
const TEAMS: &[&[&str]] = &[
    &[
        "FC Bayern München",
        "Borussia Dortmund",
        "Real Madrid",
        "FC Barcelona",
        "Atlético de Madrid",
        "Manchester United",
        "Manchester City",
        "Liverpool FC",
        "Arsenal",
        "Chelsea",
        "Tottenham Hotspur",
        "Juventus",
        "AC Milan",
        "Inter",
        "SSC Napoli",
        "AS Roma",
        "Paris Saint-Germain",
        "Olympique de Marseille",
        "Olympique Lyonnais",
        "AFC Ajax",
        "PSV Eindhoven",
        "Feyenoord",
        "SL Benfica",
        "FC Porto",
        "Sporting CP",
        "Celtic",
        "Galatasaray",
        "Fenerbahçe",
        "RB Leipzig",
        "Bayer 04 Leverkusen",
        "Eintracht Frankfurt",
        "VfB Stuttgart",
        "1. FC Köln",
        "Boca Juniors",
        "River Plate",
        "Flamengo",
        "Palmeiras",
        "Club América",
    ],
    &[
        "Los Angeles Lakers",
        "Boston Celtics",
        "Golden State Warriors",
        "Chicago Bulls",
        "Miami Heat",
        "New York Knicks",
        "ALBA Berlin",
        "Real Madrid Baloncesto",
        "Fenerbahçe Beko",
        "Olympiacos",
    ],
    &[
        "Toronto Maple Leafs",
        "Montréal Canadiens",
        "New York Rangers",
        "Eisbären Berlin",
        "Kölner Haie",
        "Frölunda HC",
        "HC Davos",
    ],
];

const FAMILY_SHOWS: &[(&str, &str)] = &[
    ("Disney On Ice: Frozen & Encanto", "Disney On Ice"),
    ("Disney On Ice: Magic in the Stars", "Disney On Ice"),
    ("PAW Patrol Live!", "PAW Patrol Live"),
    ("Cirque du Soleil: Alegría", "Cirque du Soleil"),
    ("Cirque du Soleil: Kooza", "Cirque du Soleil"),
    ("Cirque du Soleil: Corteo", "Cirque du Soleil"),
    ("Harlem Globetrotters World Tour", "Harlem Globetrotters"),
    ("Peppa Pig's Fun Day Out", "Peppa Pig Live"),
    ("Bluey's Big Play", "Bluey Live"),
    ("The Gruffalo", "Tall Stories"),
    ("Sesame Street Live!", "Sesame Street Live"),
    ("Holiday on Ice: Horizons", "Holiday on Ice"),
    ("Circus Roncalli", "Circus Roncalli"),
    ("Monster Jam", "Monster Jam"),
    ("Marvel Universe Live!", "Marvel Universe Live"),
    ("The Nutcracker", "The Royal Ballet"),
    ("Swan Lake", "Het Nationale Ballet"),
    ("Walking with Dinosaurs", "Walking with Dinosaurs"),
];

const CONCERT_LINES: &[&str] = &[
    "Doors open one hour before the show.",
    "Support acts to be announced.",
    "An unforgettable night of live music.",
    "Seated and standing tickets available.",
    "Expect the hits, the deep cuts and a few surprises.",
    "Limited accessible seating: contact the venue for details.",
];
const THEATRE_LINES: &[&str] = &[
    "Running time about two hours thirty minutes including one interval.",
    "Recommended for ages 12 and up.",
    "A bold new production of a timeless classic.",
    "Performed in the original language.",
];
const OPERA_LINES: &[&str] = &[
    "Sung in the original language with surtitles.",
    "A new staging with a star cast and full orchestra.",
    "Pre-performance talk one hour before curtain.",
];
const SPORT_LINES: &[&str] = &[
    "Kick-off times are subject to change by the broadcaster.",
    "Season ticket holders have priority booking.",
    "Family stand available.",
];
const COMEDY_LINES: &[&str] = &[
    "A brand-new stand-up show.",
    "Contains strong language; ages 16 and up.",
    "Fresh material, recorded for a special.",
];
const FAMILY_LINES: &[&str] = &[
    "Fun for the whole family.",
    "Children under two go free on a lap.",
    "Meet and greet packages available.",
];

struct Venue {
    id: i64,
    name: String,
    city: usize,
    lat: f64,
    lon: f64,
}

struct Tables {
    venues: Vec<Venue>,
    /// Venue indices per city.
    city_venues: Vec<Vec<usize>>,
    /// Cumulative city weights (bigger cities first get more events).
    city_cdf: Vec<f64>,
    musician_cdf: Vec<f64>,
    comedian_cdf: Vec<f64>,
}

fn cdf(n: usize, offset: f64, exponent: f64) -> Vec<f64> {
    let mut acc = 0.0;
    (0..n)
        .map(|i| {
            acc += 1.0 / (i as f64 + offset).powf(exponent);
            acc
        })
        .collect()
}

fn pick(rng: &mut StdRng, cdf: &[f64]) -> usize {
    let total = cdf.last().copied().unwrap_or(1.0);
    let x = rng.gen::<f64>() * total;
    cdf.partition_point(|&c| c < x)
        .min(cdf.len().saturating_sub(1))
}

fn choose<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.gen_range(0..items.len())]
}

impl Tables {
    fn build() -> Tables {
        let mut rng = StdRng::seed_from_u64(0x5eed_7e11);
        let mut venues = Vec::new();
        let mut city_venues = vec![Vec::new(); PLACES.len()];
        for (ci, place) in PLACES.iter().enumerate() {
            let (city, lat, lon) = (place.name, place.lat, place.lon);
            let mut names: Vec<String> = FAMOUS_VENUES
                .iter()
                .filter(|(c, _)| *c == city)
                .map(|(_, v)| v.to_string())
                .collect();
            // Bigger cities (earlier in the list) have more venues.
            let wanted = if ci < 40 {
                8
            } else if ci < 150 {
                5
            } else {
                3
            };
            for pattern in venue_patterns(place.country().code) {
                if names.len() >= wanted {
                    break;
                }
                names.push(pattern.replace("{c}", city));
            }
            for name in names {
                let id = 10_000 + venues.len() as i64;
                city_venues[ci].push(venues.len());
                venues.push(Venue {
                    id,
                    name,
                    city: ci,
                    lat: lat + rng.gen_range(-0.04..0.04),
                    lon: lon + rng.gen_range(-0.06..0.06),
                });
            }
        }
        Tables {
            venues,
            city_venues,
            city_cdf: cdf(PLACES.len(), 4.0, 0.9),
            musician_cdf: cdf(MUSICIANS.len(), 3.0, 1.0),
            comedian_cdf: cdf(COMEDIANS.len(), 2.0, 0.8),
        }
    }
}

/// Stable performer ids: one range per list.
fn musician_id(i: usize) -> i64 {
    100_000 + i as i64
}
fn comedian_id(i: usize) -> i64 {
    110_000 + i as i64
}
fn company_id(i: usize) -> i64 {
    120_000 + i as i64
}
fn opera_company_id(i: usize) -> i64 {
    130_000 + i as i64
}
fn singer_id(i: usize) -> i64 {
    140_000 + i as i64
}
fn team_id(group: usize, i: usize) -> i64 {
    150_000 + (group as i64) * 1000 + i as i64
}
fn family_id(i: usize) -> i64 {
    160_000 + i as i64
}

/// Iterator returned by [`synthetic_docs`].
pub struct SyntheticDocs {
    rng: StdRng,
    next_id: i64,
    remaining: usize,
    tables: Tables,
}

/// `n` believable events, deterministic for a given `seed`.
pub fn synthetic_docs(n: usize, seed: u64) -> impl Iterator<Item = EventDoc> {
    SyntheticDocs {
        rng: StdRng::seed_from_u64(seed),
        next_id: 1,
        remaining: n,
        tables: Tables::build(),
    }
}

impl Iterator for SyntheticDocs {
    type Item = EventDoc;

    fn next(&mut self) -> Option<EventDoc> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let id = self.next_id;
        self.next_id += 1;
        Some(self.make(id))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl SyntheticDocs {
    fn make(&mut self, event_id: i64) -> EventDoc {
        let t = &self.tables;
        let rng = &mut self.rng;
        let city_idx = pick(rng, &t.city_cdf);
        let venues = &t.city_venues[city_idx];
        let venue = &t.venues[venues[rng.gen_range(0..venues.len())]];
        let place = &PLACES[venue.city];
        let (city, country) = (place.name, place.country());
        let roll = rng.gen_range(0..100);
        let mut performers = Vec::new();
        let (category, title, description) = if roll < 42 {
            let i = pick(rng, &t.musician_cdf);
            let (name, signature) = MUSICIANS[i];
            performers.push((musician_id(i), name.to_string()));
            if rng.gen_bool(0.3) {
                let j = rng.gen_range(0..MUSICIANS.len());
                if j != i {
                    performers.push((musician_id(j), MUSICIANS[j].0.to_string()));
                }
            }
            // Each performer has a signature tour (if known) and two generic ones.
            let tour = if !signature.is_empty() && rng.gen_bool(0.7) {
                signature.to_string()
            } else {
                TOURS[(i * 7 + rng.gen_range(0..2) * 13) % TOURS.len()].to_string()
            };
            let line = choose(rng, CONCERT_LINES);
            (
                "concert",
                format!("{name} — {tour}"),
                format!("{name} bring {tour} to {} in {city}. {line}", venue.name),
            )
        } else if roll < 56 {
            let play = choose(rng, PLAYS);
            let c = rng.gen_range(0..THEATRE_COMPANIES.len());
            performers.push((company_id(c), THEATRE_COMPANIES[c].to_string()));
            let line = choose(rng, THEATRE_LINES);
            (
                "theatre",
                play.to_string(),
                format!(
                    "{play}, presented by {} at {}. {line}",
                    THEATRE_COMPANIES[c], venue.name
                ),
            )
        } else if roll < 63 {
            let opera = choose(rng, OPERAS);
            let c = rng.gen_range(0..OPERA_COMPANIES.len());
            performers.push((opera_company_id(c), OPERA_COMPANIES[c].to_string()));
            for _ in 0..rng.gen_range(0..3) {
                let s = rng.gen_range(0..SINGERS.len());
                if !performers.iter().any(|(id, _)| *id == singer_id(s)) {
                    performers.push((singer_id(s), SINGERS[s].to_string()));
                }
            }
            let line = choose(rng, OPERA_LINES);
            (
                "opera",
                opera.to_string(),
                format!(
                    "{opera} by {} at {}. {line}",
                    OPERA_COMPANIES[c], venue.name
                ),
            )
        } else if roll < 78 {
            let g = rng.gen_range(0..TEAMS.len());
            let teams = TEAMS[g];
            let a = rng.gen_range(0..teams.len());
            let mut b = rng.gen_range(0..teams.len() - 1);
            if b >= a {
                b += 1;
            }
            performers.push((team_id(g, a), teams[a].to_string()));
            performers.push((team_id(g, b), teams[b].to_string()));
            let line = choose(rng, SPORT_LINES);
            (
                "sport",
                format!("{} vs {}", teams[a], teams[b]),
                format!(
                    "{} take on {} at {}, {city}. {line}",
                    teams[a], teams[b], venue.name
                ),
            )
        } else if roll < 90 {
            let i = pick(rng, &t.comedian_cdf);
            let name = COMEDIANS[i];
            performers.push((comedian_id(i), name.to_string()));
            let show = COMEDY_SHOWS[(i * 5 + rng.gen_range(0..2)) % COMEDY_SHOWS.len()];
            let line = choose(rng, COMEDY_LINES);
            (
                "comedy",
                format!("{name}: {show}"),
                format!("{name} on stage at {} in {city}. {line}", venue.name),
            )
        } else {
            let f = rng.gen_range(0..FAMILY_SHOWS.len());
            let (show, company) = FAMILY_SHOWS[f];
            performers.push((family_id(f), company.to_string()));
            let line = choose(rng, FAMILY_LINES);
            (
                "family",
                show.to_string(),
                format!("{show} comes to {}, {city}. {line}", venue.name),
            )
        };
        // Shows: 1 to 8, a few days apart, somewhere between 4 months ago and 14 months ahead.
        let shows_n = match rng.gen_range(0..10) {
            0..=4 => 1,
            5..=7 => rng.gen_range(2..=4),
            _ => rng.gen_range(5..=8),
        };
        let hour = [18, 19, 20][rng.gen_range(0..3)];
        let mut start = SYNTHETIC_NOW_MS + rng.gen_range(-120..420) * DAY_MS + hour * 3_600_000;
        let mut show_starts = Vec::with_capacity(shows_n);
        for _ in 0..shows_n {
            show_starts.push(start);
            start += rng.gen_range(1..=3) * DAY_MS;
        }
        let (min_price, max_price) = if rng.gen_bool(0.03) {
            (None, None) // free or price not set yet
        } else {
            let min = rng.gen_range(15..150) * 100;
            let max = min + rng.gen_range(0..8) * min / 2;
            (Some(min), Some(max))
        };
        EventDoc {
            event_id,
            title,
            description,
            category: category.to_string(),
            performers,
            venue_id: venue.id,
            venue_name: venue.name.clone(),
            city: city.to_string(),
            country: country.code.to_string(),
            lat: venue.lat,
            lon: venue.lon,
            show_starts,
            min_price,
            max_price,
            currency: min_price.map(|_| country.currency.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_believable() {
        let a: Vec<EventDoc> = synthetic_docs(2000, 7).collect();
        let b: Vec<EventDoc> = synthetic_docs(2000, 7).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 2000);
        assert!(a.iter().any(|e| e.title.starts_with("Taylor Swift — ")));
        for category in ["concert", "theatre", "opera", "sport", "comedy", "family"] {
            assert!(a.iter().any(|e| e.category == category), "{category}");
        }
        let cities: std::collections::HashSet<&str> = a.iter().map(|e| e.city.as_str()).collect();
        assert!(cities.len() > 100, "{}", cities.len());
        assert!(PLACES.len() >= 300);
        for e in &a {
            assert!(!e.show_starts.is_empty());
            assert!(e.lat.abs() <= 90.0 && e.lon.abs() <= 180.0);
            assert!(!e.performers.is_empty());
        }
    }
}
