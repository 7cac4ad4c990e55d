//! Venue time zones (IANA names). Pages show a show's times in its venue's zone; a venue
//! created without one gets the zone of its country, or for the countries that span several,
//! the zone its longitude falls in.

/// Whether `name` is a time zone of the bundled IANA database.
pub fn is_known(name: &str) -> bool {
    !name.is_empty() && jiff::tz::TimeZone::get(name).is_ok()
}

/// The zone a venue in `country` at (`lat`, `lon`) most likely keeps; `UTC` when unknown. For
/// countries with several zones this is a guess from bands and a few boxes (Arizona, Queensland,
/// the Northern Territory, Quintana Roo keep no daylight saving or another offset), which the
/// organiser can always override by naming the zone.
pub fn default_for(country: &str, lat: f64, lon: f64) -> &'static str {
    let by_longitude = |bands: &[(f64, &'static str)], west: &'static str| {
        bands
            .iter()
            .find(|(from, _)| lon >= *from)
            .map_or(west, |(_, zone)| zone)
    };
    let inside = |south: f64, north: f64, west: f64, east: f64| {
        (south..=north).contains(&lat) && (west..=east).contains(&lon)
    };
    match country {
        "United States" if inside(31.3, 37.0, -114.8, -109.0) => "America/Phoenix",
        "United States" if lat < 23.0 && lon < -150.0 => "Pacific/Honolulu",
        "United States" if lat > 51.0 => "America/Anchorage",
        "United States" => by_longitude(
            &[
                (-86.5, "America/New_York"),
                (-101.0, "America/Chicago"),
                (-114.5, "America/Denver"),
            ],
            "America/Los_Angeles",
        ),
        "Canada" => by_longitude(
            &[
                (-58.0, "America/St_Johns"),
                (-67.0, "America/Halifax"),
                (-90.0, "America/Toronto"),
                (-102.0, "America/Winnipeg"),
                (-120.0, "America/Edmonton"),
            ],
            "America/Vancouver",
        ),
        "Australia" if lat > -29.0 && lon >= 138.0 => "Australia/Brisbane",
        "Australia" if lat > -26.0 && lon >= 129.0 => "Australia/Darwin",
        "Australia" => by_longitude(
            &[(141.0, "Australia/Sydney"), (129.0, "Australia/Adelaide")],
            "Australia/Perth",
        ),
        "Brazil" => by_longitude(&[(-52.0, "America/Sao_Paulo")], "America/Manaus"),
        "Mexico" if lon > -89.3 && lat < 22.0 => "America/Cancun",
        "Mexico" => by_longitude(&[(-106.0, "America/Mexico_City")], "America/Tijuana"),
        other => COUNTRY_ZONES
            .iter()
            .find(|(name, _)| *name == other)
            .map_or("UTC", |(_, zone)| zone),
    }
}

/// Countries that keep one zone (or nearly all of whose people do).
const COUNTRY_ZONES: &[(&str, &str)] = &[
    ("United Kingdom", "Europe/London"),
    ("Ireland", "Europe/Dublin"),
    ("France", "Europe/Paris"),
    ("Germany", "Europe/Berlin"),
    ("Austria", "Europe/Vienna"),
    ("Switzerland", "Europe/Zurich"),
    ("Netherlands", "Europe/Amsterdam"),
    ("Belgium", "Europe/Brussels"),
    ("Luxembourg", "Europe/Luxembourg"),
    ("Spain", "Europe/Madrid"),
    ("Portugal", "Europe/Lisbon"),
    ("Italy", "Europe/Rome"),
    ("Denmark", "Europe/Copenhagen"),
    ("Sweden", "Europe/Stockholm"),
    ("Norway", "Europe/Oslo"),
    ("Finland", "Europe/Helsinki"),
    ("Iceland", "Atlantic/Reykjavik"),
    ("Poland", "Europe/Warsaw"),
    ("Czechia", "Europe/Prague"),
    ("Slovakia", "Europe/Bratislava"),
    ("Hungary", "Europe/Budapest"),
    ("Slovenia", "Europe/Ljubljana"),
    ("Croatia", "Europe/Zagreb"),
    ("Serbia", "Europe/Belgrade"),
    ("Bosnia and Herzegovina", "Europe/Sarajevo"),
    ("Bulgaria", "Europe/Sofia"),
    ("Romania", "Europe/Bucharest"),
    ("Greece", "Europe/Athens"),
    ("Estonia", "Europe/Tallinn"),
    ("Latvia", "Europe/Riga"),
    ("Lithuania", "Europe/Vilnius"),
    ("North Macedonia", "Europe/Skopje"),
    ("Albania", "Europe/Tirane"),
    ("Montenegro", "Europe/Podgorica"),
    ("Malta", "Europe/Malta"),
    ("Cyprus", "Asia/Nicosia"),
    ("Ukraine", "Europe/Kyiv"),
    ("Moldova", "Europe/Chisinau"),
    ("Turkey", "Europe/Istanbul"),
    ("Georgia", "Asia/Tbilisi"),
    ("Armenia", "Asia/Yerevan"),
    ("Azerbaijan", "Asia/Baku"),
    ("Israel", "Asia/Jerusalem"),
    ("United Arab Emirates", "Asia/Dubai"),
    ("Qatar", "Asia/Qatar"),
    ("Saudi Arabia", "Asia/Riyadh"),
    ("Kuwait", "Asia/Kuwait"),
    ("Bahrain", "Asia/Bahrain"),
    ("Oman", "Asia/Muscat"),
    ("Jordan", "Asia/Amman"),
    ("Lebanon", "Asia/Beirut"),
    ("Egypt", "Africa/Cairo"),
    ("Morocco", "Africa/Casablanca"),
    ("Tunisia", "Africa/Tunis"),
    ("Algeria", "Africa/Algiers"),
    ("Nigeria", "Africa/Lagos"),
    ("Ghana", "Africa/Accra"),
    ("Senegal", "Africa/Dakar"),
    ("Côte d'Ivoire", "Africa/Abidjan"),
    ("Kenya", "Africa/Nairobi"),
    ("Ethiopia", "Africa/Addis_Ababa"),
    ("Uganda", "Africa/Kampala"),
    ("Tanzania", "Africa/Dar_es_Salaam"),
    ("Rwanda", "Africa/Kigali"),
    ("South Africa", "Africa/Johannesburg"),
    ("Angola", "Africa/Luanda"),
    ("Namibia", "Africa/Windhoek"),
    ("Zambia", "Africa/Lusaka"),
    ("Zimbabwe", "Africa/Harare"),
    ("Mozambique", "Africa/Maputo"),
    ("Japan", "Asia/Tokyo"),
    ("South Korea", "Asia/Seoul"),
    ("China", "Asia/Shanghai"),
    ("Hong Kong", "Asia/Hong_Kong"),
    ("Macau", "Asia/Macau"),
    ("Taiwan", "Asia/Taipei"),
    ("Singapore", "Asia/Singapore"),
    ("Malaysia", "Asia/Kuala_Lumpur"),
    ("Thailand", "Asia/Bangkok"),
    ("Vietnam", "Asia/Ho_Chi_Minh"),
    ("Philippines", "Asia/Manila"),
    ("Indonesia", "Asia/Jakarta"),
    ("Cambodia", "Asia/Phnom_Penh"),
    ("Myanmar", "Asia/Yangon"),
    ("India", "Asia/Kolkata"),
    ("Sri Lanka", "Asia/Colombo"),
    ("Nepal", "Asia/Kathmandu"),
    ("Bangladesh", "Asia/Dhaka"),
    ("Pakistan", "Asia/Karachi"),
    ("Kazakhstan", "Asia/Almaty"),
    ("Uzbekistan", "Asia/Tashkent"),
    ("Mongolia", "Asia/Ulaanbaatar"),
    ("New Zealand", "Pacific/Auckland"),
    ("Fiji", "Pacific/Fiji"),
    ("Argentina", "America/Argentina/Buenos_Aires"),
    ("Chile", "America/Santiago"),
    ("Peru", "America/Lima"),
    ("Colombia", "America/Bogota"),
    ("Ecuador", "America/Guayaquil"),
    ("Venezuela", "America/Caracas"),
    ("Uruguay", "America/Montevideo"),
    ("Paraguay", "America/Asuncion"),
    ("Bolivia", "America/La_Paz"),
    ("Panama", "America/Panama"),
    ("Costa Rica", "America/Costa_Rica"),
    ("Guatemala", "America/Guatemala"),
    ("El Salvador", "America/El_Salvador"),
    ("Cuba", "America/Havana"),
    ("Puerto Rico", "America/Puerto_Rico"),
    ("Dominican Republic", "America/Santo_Domingo"),
    ("Jamaica", "America/Jamaica"),
    ("Trinidad and Tobago", "America/Port_of_Spain"),
    ("Bahamas", "America/Nassau"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_zone_is_in_the_bundled_database() {
        for (country, zone) in COUNTRY_ZONES {
            assert!(is_known(zone), "{country}: {zone}");
        }
        for lat in [-35.0, -20.0, 20.0, 33.0, 45.0, 61.0] {
            for lon in [
                -160.0, -150.0, -122.0, -105.0, -95.0, -74.0, -60.0, 115.0, 138.0, 151.0,
            ] {
                for country in ["United States", "Canada", "Australia", "Brazil", "Mexico"] {
                    assert!(is_known(default_for(country, lat, lon)));
                }
            }
        }
        for (country, lat, lon, zone) in [
            ("Austria", 48.2, 16.4, "Europe/Vienna"),
            ("United States", 40.7, -74.0, "America/New_York"),
            ("United States", 36.2, -86.8, "America/Chicago"),
            ("United States", 39.8, -86.2, "America/New_York"),
            ("United States", 33.4, -112.1, "America/Phoenix"),
            ("United States", 39.7, -105.0, "America/Denver"),
            ("United States", 37.8, -122.4, "America/Los_Angeles"),
            ("United States", 21.3, -157.9, "Pacific/Honolulu"),
            ("United States", 61.2, -149.9, "America/Anchorage"),
            ("Canada", 44.6, -63.6, "America/Halifax"),
            ("Canada", 43.7, -79.4, "America/Toronto"),
            ("Canada", 49.3, -123.1, "America/Vancouver"),
            ("Australia", -33.9, 151.2, "Australia/Sydney"),
            ("Australia", -27.5, 153.0, "Australia/Brisbane"),
            ("Australia", -12.5, 130.8, "Australia/Darwin"),
            ("Australia", -34.9, 138.6, "Australia/Adelaide"),
            ("Australia", -31.9, 115.9, "Australia/Perth"),
            ("Mexico", 21.2, -86.8, "America/Cancun"),
            ("Mexico", 19.4, -99.1, "America/Mexico_City"),
            ("Atlantis", 0.0, 0.0, "UTC"),
        ] {
            assert_eq!(
                default_for(country, lat, lon),
                zone,
                "{country} {lat} {lon}"
            );
        }
        assert!(!is_known("Mars/Olympus_Mons"));
        assert!(!is_known(""));
    }

    #[test]
    fn the_migration_gave_existing_venues_the_same_zones() {
        for dir in ["sqlite", "postgres"] {
            let path = format!(
                "{}/migrations/{dir}/0007_venue_zones.sql",
                env!("CARGO_MANIFEST_DIR")
            );
            let sql = std::fs::read_to_string(&path).expect("the migration");
            for (country, zone) in COUNTRY_ZONES {
                let line = format!("WHEN '{}' THEN '{zone}'", country.replace('\'', "''"));
                assert!(sql.contains(&line), "{path} lacks {line}");
            }
        }
    }
}
