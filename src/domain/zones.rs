//! Venue time zones (IANA names). Pages show a show's times in its venue's zone; a venue
//! created without one gets the zone of its country, or for the countries that span several,
//! the zone its longitude falls in.

/// Whether `name` is a time zone of the bundled IANA database.
pub fn is_known(name: &str) -> bool {
    !name.is_empty() && jiff::tz::TimeZone::get(name).is_ok()
}

/// The zone a venue in `country` at longitude `lon` most likely keeps; `UTC` when unknown.
pub fn default_for(country: &str, lon: f64) -> &'static str {
    let by_longitude = |bands: &[(f64, &'static str)], west: &'static str| {
        bands
            .iter()
            .find(|(from, _)| lon >= *from)
            .map_or(west, |(_, zone)| zone)
    };
    match country {
        "United States" => by_longitude(
            &[
                (-87.5, "America/New_York"),
                (-101.0, "America/Chicago"),
                (-114.5, "America/Denver"),
                (-130.0, "America/Los_Angeles"),
                (-141.0, "America/Anchorage"),
            ],
            "Pacific/Honolulu",
        ),
        "Canada" => by_longitude(
            &[
                (-61.0, "America/Halifax"),
                (-90.0, "America/Toronto"),
                (-102.0, "America/Winnipeg"),
                (-120.0, "America/Edmonton"),
            ],
            "America/Vancouver",
        ),
        "Australia" => by_longitude(
            &[(141.0, "Australia/Sydney"), (129.0, "Australia/Adelaide")],
            "Australia/Perth",
        ),
        "Brazil" => by_longitude(&[(-52.0, "America/Sao_Paulo")], "America/Manaus"),
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
        for lon in [
            -160.0, -150.0, -122.0, -105.0, -95.0, -74.0, -60.0, 115.0, 138.0, 151.0,
        ] {
            for country in ["United States", "Canada", "Australia", "Brazil", "Mexico"] {
                assert!(is_known(default_for(country, lon)));
            }
        }
        assert_eq!(default_for("Austria", 16.4), "Europe/Vienna");
        assert_eq!(default_for("United States", -74.0), "America/New_York");
        assert_eq!(default_for("United States", -122.4), "America/Los_Angeles");
        assert_eq!(default_for("Australia", 151.2), "Australia/Sydney");
        assert_eq!(default_for("Atlantis", 0.0), "UTC");
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
