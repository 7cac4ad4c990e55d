//! Believable fake events for benchmarking and tests, without a database.
//!
//! About 330 real cities with real coordinates and currencies, a few venues each (real names
//! for a handful of famous ones, local-language patterns for the rest), real performer, opera,
//! play, comedian and team names with a skewed popularity (so "Taylor Swift" has thousands of
//! events and a support act a handful), tours, shows spread over two years and price ranges.
//! The output is a deterministic function of `(n, seed)`; event ids are `1..=n`.
//!
//! It deliberately does not model anything the search engine ignores (seat maps, sections,
//! sales) and prices are not converted between currencies.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::EventDoc;

/// 2025-06-01T00:00:00Z: shows are spread around this instant; use it as `now_ms` in benches.
pub const SYNTHETIC_NOW_MS: i64 = 1_748_736_000_000;
const DAY_MS: i64 = 86_400_000;

/// (name, ISO country code, latitude, longitude)
pub const CITIES: &[(&str, &str, f64, f64)] = &[
    ("London", "GB", 51.507, -0.128),
    ("Paris", "FR", 48.857, 2.352),
    ("Berlin", "DE", 52.520, 13.405),
    ("New York", "US", 40.713, -74.006),
    ("Madrid", "ES", 40.417, -3.704),
    ("München", "DE", 48.137, 11.575),
    ("Los Angeles", "US", 34.052, -118.244),
    ("Wien", "AT", 48.208, 16.373),
    ("Roma", "IT", 41.903, 12.496),
    ("Barcelona", "ES", 41.385, 2.173),
    ("Amsterdam", "NL", 52.368, 4.904),
    ("Hamburg", "DE", 53.551, 9.994),
    ("Milano", "IT", 45.464, 9.190),
    ("Chicago", "US", 41.878, -87.630),
    ("Toronto", "CA", 43.653, -79.383),
    ("São Paulo", "BR", -23.551, -46.633),
    ("Tokyo", "JP", 35.676, 139.650),
    ("Sydney", "AU", -33.869, 151.209),
    ("Köln", "DE", 50.938, 6.960),
    ("Zürich", "CH", 47.377, 8.541),
    ("Manchester", "GB", 53.481, -2.243),
    ("Dublin", "IE", 53.350, -6.260),
    ("Praha", "CZ", 50.076, 14.438),
    ("Stockholm", "SE", 59.329, 18.069),
    ("København", "DK", 55.676, 12.568),
    ("Oslo", "NO", 59.914, 10.752),
    ("Lisboa", "PT", 38.722, -9.139),
    ("Bruxelles", "BE", 50.850, 4.352),
    ("Frankfurt am Main", "DE", 50.110, 8.682),
    ("Warszawa", "PL", 52.230, 21.012),
    ("Budapest", "HU", 47.498, 19.040),
    ("Montréal", "CA", 45.502, -73.567),
    ("Buenos Aires", "AR", -34.604, -58.382),
    ("Ciudad de México", "MX", 19.433, -99.133),
    ("Melbourne", "AU", -37.814, 144.963),
    ("Seoul", "KR", 37.567, 126.978),
    ("Stuttgart", "DE", 48.776, 9.183),
    ("Düsseldorf", "DE", 51.227, 6.773),
    ("Lyon", "FR", 45.764, 4.836),
    ("Marseille", "FR", 43.296, 5.370),
    ("Glasgow", "GB", 55.864, -4.252),
    ("Birmingham", "GB", 52.486, -1.890),
    ("San Francisco", "US", 37.775, -122.419),
    ("Boston", "US", 42.360, -71.059),
    ("Washington", "US", 38.907, -77.037),
    ("Nashville", "US", 36.163, -86.781),
    ("Las Vegas", "US", 36.170, -115.140),
    ("Helsinki", "FI", 60.170, 24.938),
    ("Kraków", "PL", 50.065, 19.945),
    ("Leipzig", "DE", 51.340, 12.375),
    ("Dresden", "DE", 51.050, 13.738),
    ("Edinburgh", "GB", 55.953, -3.188),
    ("Liverpool", "GB", 53.408, -2.991),
    ("Leeds", "GB", 53.801, -1.549),
    ("Bristol", "GB", 51.454, -2.588),
    ("Cardiff", "GB", 51.481, -3.179),
    ("Belfast", "GB", 54.597, -5.930),
    ("Newcastle upon Tyne", "GB", 54.978, -1.618),
    ("Sheffield", "GB", 53.381, -1.470),
    ("Nottingham", "GB", 52.954, -1.158),
    ("Brighton", "GB", 50.822, -0.137),
    ("Leicester", "GB", 52.637, -1.140),
    ("Southampton", "GB", 50.910, -1.404),
    ("Aberdeen", "GB", 57.150, -2.094),
    ("Oxford", "GB", 51.752, -1.258),
    ("Cambridge", "GB", 52.205, 0.122),
    ("York", "GB", 53.960, -1.087),
    ("Cork", "IE", 51.898, -8.475),
    ("Galway", "IE", 53.271, -9.057),
    ("Toulouse", "FR", 43.605, 1.444),
    ("Nice", "FR", 43.710, 7.262),
    ("Nantes", "FR", 47.218, -1.554),
    ("Strasbourg", "FR", 48.573, 7.752),
    ("Montpellier", "FR", 43.611, 3.877),
    ("Bordeaux", "FR", 44.838, -0.579),
    ("Lille", "FR", 50.629, 3.057),
    ("Rennes", "FR", 48.117, -1.678),
    ("Reims", "FR", 49.258, 4.032),
    ("Grenoble", "FR", 45.188, 5.724),
    ("Dijon", "FR", 47.322, 5.041),
    ("Nîmes", "FR", 43.837, 4.360),
    ("Besançon", "FR", 47.238, 6.024),
    ("Saint-Étienne", "FR", 45.440, 4.387),
    ("Le Havre", "FR", 49.494, 0.108),
    ("Toulon", "FR", 43.124, 5.928),
    ("Angers", "FR", 47.478, -0.563),
    ("Dortmund", "DE", 51.514, 7.468),
    ("Essen", "DE", 51.456, 7.012),
    ("Bremen", "DE", 53.079, 8.802),
    ("Hannover", "DE", 52.376, 9.732),
    ("Nürnberg", "DE", 49.452, 11.077),
    ("Duisburg", "DE", 51.434, 6.762),
    ("Bochum", "DE", 51.482, 7.216),
    ("Wuppertal", "DE", 51.256, 7.151),
    ("Bielefeld", "DE", 52.021, 8.532),
    ("Bonn", "DE", 50.737, 7.098),
    ("Münster", "DE", 51.961, 7.626),
    ("Mannheim", "DE", 49.487, 8.466),
    ("Karlsruhe", "DE", 49.007, 8.404),
    ("Augsburg", "DE", 48.370, 10.898),
    ("Wiesbaden", "DE", 50.078, 8.240),
    ("Freiburg im Breisgau", "DE", 47.999, 7.842),
    ("Mainz", "DE", 49.993, 8.247),
    ("Lübeck", "DE", 53.866, 10.687),
    ("Kiel", "DE", 54.323, 10.123),
    ("Rostock", "DE", 54.092, 12.099),
    ("Würzburg", "DE", 49.792, 9.953),
    ("Regensburg", "DE", 49.013, 12.102),
    ("Göttingen", "DE", 51.541, 9.916),
    ("Saarbrücken", "DE", 49.240, 6.997),
    ("Erfurt", "DE", 50.985, 11.030),
    ("Magdeburg", "DE", 52.120, 11.628),
    ("Chemnitz", "DE", 50.828, 12.921),
    ("Graz", "AT", 47.071, 15.439),
    ("Linz", "AT", 48.306, 14.286),
    ("Salzburg", "AT", 47.809, 13.055),
    ("Innsbruck", "AT", 47.269, 11.404),
    ("Bregenz", "AT", 47.503, 9.747),
    ("Genève", "CH", 46.204, 6.143),
    ("Basel", "CH", 47.560, 7.588),
    ("Bern", "CH", 46.948, 7.447),
    ("Lausanne", "CH", 46.520, 6.633),
    ("Luzern", "CH", 47.050, 8.309),
    ("St. Gallen", "CH", 47.424, 9.377),
    ("Lugano", "CH", 46.004, 8.951),
    ("Rotterdam", "NL", 51.924, 4.478),
    ("Den Haag", "NL", 52.070, 4.300),
    ("Utrecht", "NL", 52.091, 5.122),
    ("Eindhoven", "NL", 51.441, 5.470),
    ("Groningen", "NL", 53.219, 6.567),
    ("Tilburg", "NL", 51.556, 5.090),
    ("Nijmegen", "NL", 51.842, 5.853),
    ("Arnhem", "NL", 51.985, 5.899),
    ("Maastricht", "NL", 50.851, 5.691),
    ("Antwerpen", "BE", 51.219, 4.402),
    ("Gent", "BE", 51.054, 3.717),
    ("Liège", "BE", 50.633, 5.567),
    ("Brugge", "BE", 51.209, 3.225),
    ("Charleroi", "BE", 50.411, 4.444),
    ("Leuven", "BE", 50.880, 4.700),
    ("Luxembourg", "LU", 49.612, 6.130),
    ("Valencia", "ES", 39.470, -0.376),
    ("Sevilla", "ES", 37.389, -5.984),
    ("Zaragoza", "ES", 41.649, -0.889),
    ("Málaga", "ES", 36.721, -4.421),
    ("Murcia", "ES", 37.992, -1.131),
    ("Palma", "ES", 39.570, 2.650),
    ("Bilbao", "ES", 43.263, -2.935),
    ("Alicante", "ES", 38.345, -0.481),
    ("Córdoba", "ES", 37.888, -4.779),
    ("Valladolid", "ES", 41.652, -4.724),
    ("Vigo", "ES", 42.240, -8.721),
    ("Gijón", "ES", 43.532, -5.661),
    ("A Coruña", "ES", 43.362, -8.411),
    ("Granada", "ES", 37.177, -3.599),
    ("San Sebastián", "ES", 43.318, -1.981),
    ("Pamplona", "ES", 42.812, -1.646),
    ("Santander", "ES", 43.462, -3.810),
    ("Salamanca", "ES", 40.970, -5.664),
    ("Porto", "PT", 41.158, -8.629),
    ("Braga", "PT", 41.545, -8.426),
    ("Coimbra", "PT", 40.203, -8.410),
    ("Faro", "PT", 37.019, -7.930),
    ("Napoli", "IT", 40.852, 14.268),
    ("Torino", "IT", 45.070, 7.687),
    ("Palermo", "IT", 38.116, 13.361),
    ("Genova", "IT", 44.406, 8.946),
    ("Bologna", "IT", 44.495, 11.343),
    ("Firenze", "IT", 43.770, 11.255),
    ("Bari", "IT", 41.117, 16.872),
    ("Catania", "IT", 37.508, 15.083),
    ("Venezia", "IT", 45.440, 12.316),
    ("Verona", "IT", 45.438, 10.992),
    ("Messina", "IT", 38.194, 15.554),
    ("Padova", "IT", 45.406, 11.877),
    ("Trieste", "IT", 45.650, 13.777),
    ("Parma", "IT", 44.801, 10.328),
    ("Modena", "IT", 44.647, 10.925),
    ("Perugia", "IT", 43.112, 12.389),
    ("Cagliari", "IT", 39.224, 9.122),
    ("Pisa", "IT", 43.716, 10.402),
    ("Aarhus", "DK", 56.163, 10.204),
    ("Odense", "DK", 55.404, 10.402),
    ("Aalborg", "DK", 57.048, 9.919),
    ("Göteborg", "SE", 57.709, 11.975),
    ("Malmö", "SE", 55.605, 13.004),
    ("Uppsala", "SE", 59.859, 17.639),
    ("Västerås", "SE", 59.611, 16.545),
    ("Örebro", "SE", 59.275, 15.213),
    ("Linköping", "SE", 58.411, 15.622),
    ("Bergen", "NO", 60.391, 5.322),
    ("Trondheim", "NO", 63.431, 10.395),
    ("Stavanger", "NO", 58.970, 5.733),
    ("Tromsø", "NO", 69.649, 18.956),
    ("Espoo", "FI", 60.205, 24.652),
    ("Tampere", "FI", 61.498, 23.761),
    ("Turku", "FI", 60.452, 22.267),
    ("Oulu", "FI", 65.012, 25.465),
    ("Reykjavík", "IS", 64.147, -21.942),
    ("Łódź", "PL", 51.759, 19.456),
    ("Wrocław", "PL", 51.108, 17.039),
    ("Poznań", "PL", 52.406, 16.925),
    ("Gdańsk", "PL", 54.352, 18.647),
    ("Szczecin", "PL", 53.428, 14.553),
    ("Katowice", "PL", 50.265, 19.024),
    ("Lublin", "PL", 51.246, 22.568),
    ("Brno", "CZ", 49.195, 16.607),
    ("Ostrava", "CZ", 49.820, 18.262),
    ("Bratislava", "SK", 48.149, 17.107),
    ("Košice", "SK", 48.717, 21.261),
    ("Debrecen", "HU", 47.532, 21.639),
    ("București", "RO", 44.427, 26.103),
    ("Cluj-Napoca", "RO", 46.771, 23.624),
    ("Timișoara", "RO", 45.748, 21.208),
    ("Iași", "RO", 47.158, 27.601),
    ("Sofia", "BG", 42.698, 23.322),
    ("Plovdiv", "BG", 42.135, 24.745),
    ("Athens", "GR", 37.984, 23.728),
    ("Thessaloniki", "GR", 40.640, 22.944),
    ("Zagreb", "HR", 45.815, 15.982),
    ("Split", "HR", 43.508, 16.440),
    ("Ljubljana", "SI", 46.057, 14.506),
    ("Beograd", "RS", 44.787, 20.457),
    ("İstanbul", "TR", 41.008, 28.978),
    ("Ankara", "TR", 39.933, 32.860),
    ("İzmir", "TR", 38.424, 27.143),
    ("Tallinn", "EE", 59.437, 24.754),
    ("Rīga", "LV", 56.950, 24.106),
    ("Vilnius", "LT", 54.687, 25.280),
    ("Kyiv", "UA", 50.450, 30.523),
    ("Lviv", "UA", 49.839, 24.030),
    ("Valletta", "MT", 35.899, 14.514),
    ("Nicosia", "CY", 35.185, 33.382),
    ("Houston", "US", 29.760, -95.370),
    ("Phoenix", "US", 33.448, -112.074),
    ("Philadelphia", "US", 39.953, -75.165),
    ("San Antonio", "US", 29.424, -98.494),
    ("San Diego", "US", 32.716, -117.161),
    ("Dallas", "US", 32.777, -96.797),
    ("Austin", "US", 30.267, -97.743),
    ("San Jose", "US", 37.339, -121.895),
    ("Jacksonville", "US", 30.332, -81.656),
    ("Columbus", "US", 39.961, -82.999),
    ("Charlotte", "US", 35.227, -80.843),
    ("Indianapolis", "US", 39.768, -86.158),
    ("Seattle", "US", 47.606, -122.332),
    ("Denver", "US", 39.739, -104.990),
    ("Detroit", "US", 42.331, -83.046),
    ("Portland", "US", 45.515, -122.679),
    ("Memphis", "US", 35.150, -90.049),
    ("Louisville", "US", 38.253, -85.759),
    ("Baltimore", "US", 39.290, -76.612),
    ("Milwaukee", "US", 43.039, -87.906),
    ("Albuquerque", "US", 35.084, -106.650),
    ("Tucson", "US", 32.222, -110.975),
    ("Sacramento", "US", 38.582, -121.494),
    ("Kansas City", "US", 39.100, -94.579),
    ("Atlanta", "US", 33.749, -84.388),
    ("Miami", "US", 25.762, -80.192),
    ("Minneapolis", "US", 44.978, -93.265),
    ("New Orleans", "US", 29.951, -90.072),
    ("Cleveland", "US", 41.499, -81.694),
    ("Tampa", "US", 27.951, -82.457),
    ("Pittsburgh", "US", 40.441, -79.996),
    ("Cincinnati", "US", 39.103, -84.512),
    ("St. Louis", "US", 38.627, -90.199),
    ("Orlando", "US", 28.538, -81.379),
    ("Salt Lake City", "US", 40.761, -111.891),
    ("Raleigh", "US", 35.780, -78.639),
    ("Honolulu", "US", 21.307, -157.858),
    ("Anchorage", "US", 61.218, -149.900),
    ("Buffalo", "US", 42.886, -78.878),
    ("Richmond", "US", 37.541, -77.436),
    ("Oklahoma City", "US", 35.468, -97.516),
    ("Omaha", "US", 41.257, -95.935),
    ("Vancouver", "CA", 49.283, -123.121),
    ("Calgary", "CA", 51.045, -114.072),
    ("Edmonton", "CA", 53.546, -113.494),
    ("Ottawa", "CA", 45.421, -75.697),
    ("Winnipeg", "CA", 49.895, -97.138),
    ("Québec", "CA", 46.813, -71.208),
    ("Hamilton", "CA", 43.256, -79.869),
    ("Halifax", "CA", 44.649, -63.575),
    ("Victoria", "CA", 48.428, -123.366),
    ("Guadalajara", "MX", 20.659, -103.349),
    ("Monterrey", "MX", 25.686, -100.316),
    ("Puebla", "MX", 19.041, -98.206),
    ("Tijuana", "MX", 32.515, -117.038),
    ("Mérida", "MX", 20.967, -89.624),
    ("Cancún", "MX", 21.162, -86.851),
    ("León", "MX", 21.122, -101.686),
    ("Rio de Janeiro", "BR", -22.907, -43.173),
    ("Brasília", "BR", -15.794, -47.882),
    ("Salvador", "BR", -12.978, -38.502),
    ("Fortaleza", "BR", -3.732, -38.527),
    ("Belo Horizonte", "BR", -19.917, -43.935),
    ("Manaus", "BR", -3.119, -60.022),
    ("Curitiba", "BR", -25.429, -49.267),
    ("Recife", "BR", -8.048, -34.877),
    ("Porto Alegre", "BR", -30.035, -51.218),
    ("Belém", "BR", -1.456, -48.490),
    ("Florianópolis", "BR", -27.595, -48.548),
    ("Córdoba", "AR", -31.420, -64.188),
    ("Rosario", "AR", -32.944, -60.650),
    ("Mendoza", "AR", -32.889, -68.845),
    ("La Plata", "AR", -34.921, -57.955),
    ("Santiago", "CL", -33.449, -70.669),
    ("Valparaíso", "CL", -33.047, -71.612),
    ("Concepción", "CL", -36.827, -73.050),
    ("Bogotá", "CO", 4.711, -74.072),
    ("Medellín", "CO", 6.244, -75.581),
    ("Cali", "CO", 3.452, -76.532),
    ("Barranquilla", "CO", 10.964, -74.796),
    ("Cartagena", "CO", 10.391, -75.479),
    ("Lima", "PE", -12.046, -77.043),
    ("Arequipa", "PE", -16.409, -71.537),
    ("Cusco", "PE", -13.532, -71.968),
    ("Montevideo", "UY", -34.901, -56.164),
    ("Asunción", "PY", -25.264, -57.576),
    ("Quito", "EC", -0.181, -78.468),
    ("Guayaquil", "EC", -2.171, -79.922),
    ("Caracas", "VE", 10.481, -66.904),
    ("La Paz", "BO", -16.490, -68.119),
    ("San José", "CR", 9.928, -84.091),
    ("Panamá", "PA", 8.983, -79.517),
    ("Guatemala", "GT", 14.634, -90.507),
    ("Santo Domingo", "DO", 18.486, -69.931),
    ("San Juan", "PR", 18.466, -66.106),
    ("La Habana", "CU", 23.113, -82.366),
    ("Osaka", "JP", 34.694, 135.502),
    ("Nagoya", "JP", 35.181, 136.906),
    ("Yokohama", "JP", 35.444, 139.638),
    ("Sapporo", "JP", 43.062, 141.354),
    ("Fukuoka", "JP", 33.590, 130.402),
    ("Kyoto", "JP", 35.012, 135.768),
    ("Kobe", "JP", 34.690, 135.196),
    ("Hiroshima", "JP", 34.385, 132.455),
    ("Sendai", "JP", 38.268, 140.870),
    ("Busan", "KR", 35.180, 129.076),
    ("Incheon", "KR", 37.456, 126.705),
    ("Daegu", "KR", 35.871, 128.602),
    ("Shanghai", "CN", 31.230, 121.474),
    ("Beijing", "CN", 39.904, 116.407),
    ("Shenzhen", "CN", 22.543, 114.058),
    ("Guangzhou", "CN", 23.129, 113.264),
    ("Chengdu", "CN", 30.573, 104.066),
    ("Hangzhou", "CN", 30.274, 120.155),
    ("Wuhan", "CN", 30.593, 114.305),
    ("Hong Kong", "HK", 22.320, 114.169),
    ("Taipei", "TW", 25.033, 121.565),
    ("Kaohsiung", "TW", 22.627, 120.301),
    ("Singapore", "SG", 1.352, 103.820),
    ("Kuala Lumpur", "MY", 3.139, 101.687),
    ("Bangkok", "TH", 13.756, 100.502),
    ("Chiang Mai", "TH", 18.788, 98.985),
    ("Ho Chi Minh City", "VN", 10.823, 106.630),
    ("Hanoi", "VN", 21.028, 105.834),
    ("Manila", "PH", 14.600, 120.984),
    ("Jakarta", "ID", -6.209, 106.846),
    ("Denpasar", "ID", -8.650, 115.217),
    ("Mumbai", "IN", 19.076, 72.878),
    ("Delhi", "IN", 28.704, 77.102),
    ("Bengaluru", "IN", 12.972, 77.595),
    ("Chennai", "IN", 13.083, 80.271),
    ("Kolkata", "IN", 22.573, 88.364),
    ("Hyderabad", "IN", 17.385, 78.487),
    ("Pune", "IN", 18.520, 73.857),
    ("Dubai", "AE", 25.205, 55.271),
    ("Abu Dhabi", "AE", 24.454, 54.377),
    ("Doha", "QA", 25.285, 51.531),
    ("Riyadh", "SA", 24.713, 46.675),
    ("Jeddah", "SA", 21.486, 39.193),
    ("Tel Aviv", "IL", 32.085, 34.782),
    ("Jerusalem", "IL", 31.769, 35.216),
    ("Brisbane", "AU", -27.470, 153.026),
    ("Perth", "AU", -31.951, 115.861),
    ("Adelaide", "AU", -34.929, 138.601),
    ("Gold Coast", "AU", -28.017, 153.400),
    ("Canberra", "AU", -35.281, 149.130),
    ("Hobart", "AU", -42.882, 147.327),
    ("Darwin", "AU", -12.463, 130.842),
    ("Auckland", "NZ", -36.848, 174.763),
    ("Wellington", "NZ", -41.287, 174.776),
    ("Christchurch", "NZ", -43.532, 172.637),
    ("Queenstown", "NZ", -45.031, 168.663),
    ("Johannesburg", "ZA", -26.204, 28.047),
    ("Cape Town", "ZA", -33.925, 18.424),
    ("Durban", "ZA", -29.858, 31.022),
    ("Pretoria", "ZA", -25.747, 28.229),
    ("Cairo", "EG", 30.044, 31.236),
    ("Casablanca", "MA", 33.573, -7.590),
    ("Marrakech", "MA", 31.629, -7.981),
    ("Lagos", "NG", 6.524, 3.379),
    ("Nairobi", "KE", -1.292, 36.822),
    ("Accra", "GH", 5.604, -0.187),
    ("Tunis", "TN", 36.806, 10.181),
    ("Dakar", "SN", 14.716, -17.467),
];

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

fn currency(country: &str) -> &'static str {
    match country {
        "GB" => "GBP",
        "US" | "PR" | "EC" | "VE" | "PA" => "USD",
        "CH" => "CHF",
        "DK" => "DKK",
        "SE" => "SEK",
        "NO" => "NOK",
        "IS" => "ISK",
        "PL" => "PLN",
        "CZ" => "CZK",
        "HU" => "HUF",
        "RO" => "RON",
        "BG" => "BGN",
        "RS" => "RSD",
        "TR" => "TRY",
        "UA" => "UAH",
        "CA" => "CAD",
        "MX" => "MXN",
        "BR" => "BRL",
        "AR" => "ARS",
        "CL" => "CLP",
        "CO" => "COP",
        "PE" => "PEN",
        "UY" => "UYU",
        "PY" => "PYG",
        "BO" => "BOB",
        "CR" => "CRC",
        "GT" => "GTQ",
        "DO" => "DOP",
        "CU" => "CUP",
        "JP" => "JPY",
        "KR" => "KRW",
        "CN" => "CNY",
        "HK" => "HKD",
        "TW" => "TWD",
        "SG" => "SGD",
        "MY" => "MYR",
        "TH" => "THB",
        "VN" => "VND",
        "PH" => "PHP",
        "ID" => "IDR",
        "IN" => "INR",
        "AE" => "AED",
        "QA" => "QAR",
        "SA" => "SAR",
        "IL" => "ILS",
        "AU" => "AUD",
        "NZ" => "NZD",
        "ZA" => "ZAR",
        "EG" => "EGP",
        "MA" => "MAD",
        "NG" => "NGN",
        "KE" => "KES",
        "GH" => "GHS",
        "TN" => "TND",
        "SN" => "XOF",
        _ => "EUR",
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
        let mut city_venues = vec![Vec::new(); CITIES.len()];
        for (ci, (city, country, lat, lon)) in CITIES.iter().enumerate() {
            let mut names: Vec<String> = FAMOUS_VENUES
                .iter()
                .filter(|(c, _)| c == city)
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
            for pattern in venue_patterns(country) {
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
            city_cdf: cdf(CITIES.len(), 4.0, 0.9),
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
        let (city, country, _, _) = CITIES[venue.city];
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
            country: country.to_string(),
            lat: venue.lat,
            lon: venue.lon,
            show_starts,
            min_price,
            max_price,
            currency: min_price.map(|_| currency(country).to_string()),
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
        assert!(CITIES.len() >= 300);
        for e in &a {
            assert!(!e.show_starts.is_empty());
            assert!(e.lat.abs() <= 90.0 && e.lon.abs() <= 180.0);
            assert!(!e.performers.is_empty());
        }
    }
}
