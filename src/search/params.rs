//! A [`SearchQuery`] from query-string parameters: `q`, `city`, `lat`/`lon`/`radius_km`,
//! `category`, `performer`, `venue`, `from`/`to`, `min_price`/`max_price`, `sort`, `page`,
//! `per_page`. Every bad parameter is named in one [`Invalid`]; "now" is the instant the
//! parameters were read at.

use super::{GeoFilter, SearchQuery, SortOrder, MAX_WINDOW};
use crate::domain::params::QueryParams;
use crate::domain::Invalid;

impl TryFrom<QueryParams<'_>> for SearchQuery {
    type Error = Invalid;

    fn try_from(params: QueryParams<'_>) -> Result<Self, Invalid> {
        let mut p = params.check();
        let q = p.text("q", 200);
        let city = p.text("city", 100);
        let category = p.text("category", 50);
        let performer = p.text("performer", 200);
        let venue = p.text("venue", 200);
        let lat = p.number("lat", -90.0, 90.0);
        let lon = p.number("lon", -180.0, 180.0);
        let radius_km = p.number("radius_km", 0.0, 20_000.0);
        let from_ms = p.instant("from");
        let to_ms = p.instant("to");
        let min_price = p.money("min_price");
        let max_price = p.money("max_price");
        let sort = match params.get("sort").map(String::as_str) {
            None | Some("") | Some("relevance") => SortOrder::Relevance,
            Some("date") => SortOrder::Date,
            Some("distance") => SortOrder::Distance,
            Some(_) => {
                p.fail("sort", "must be relevance, date or distance");
                SortOrder::Relevance
            }
        };
        if params.has("lat") != params.has("lon") {
            p.fail(
                if params.has("lat") { "lon" } else { "lat" },
                "lat and lon go together",
            );
        }
        if radius_km.is_some() && (lat.is_none() || lon.is_none()) {
            p.fail("radius_km", "needs lat and lon");
        }
        if sort == SortOrder::Distance && (lat.is_none() || lon.is_none()) {
            p.fail("sort", "sorting by distance needs lat and lon");
        }
        if let (Some(from), Some(to)) = (from_ms, to_ms) {
            if to < from {
                p.fail("to", "must not be before from");
            }
        }
        if let (Some(low), Some(high)) = (min_price, max_price) {
            if high < low {
                p.fail("max_price", "must not be below min_price");
            }
        }
        let (page, per_page) = p.paging();
        if (page * per_page) as usize > MAX_WINDOW {
            p.fail(
                "page",
                format!("results go up to the {MAX_WINDOW}th; narrow the search"),
            );
        }
        p.finish(SearchQuery {
            q,
            city,
            near: lat.zip(lon).map(|(lat, lon)| GeoFilter {
                lat,
                lon,
                radius_km,
            }),
            category,
            performer,
            venue,
            from_ms,
            to_ms,
            min_price,
            max_price,
            sort,
            offset: ((page - 1) * per_page) as usize,
            limit: per_page as usize,
            now_ms: params.now,
        })
    }
}

impl SearchQuery {
    /// The page number and size the query was built from (`offset` is a whole number of pages).
    pub fn page(&self) -> (i64, i64) {
        let per_page = self.limit.max(1);
        ((self.offset / per_page + 1) as i64, self.limit as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<SearchQuery, Invalid> {
        let raw: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SearchQuery::try_from(QueryParams::new(&raw, 60_000))
    }

    #[test]
    fn names_every_bad_parameter_in_order() {
        let err = parse(&[("lat", "91"), ("sort", "distance"), ("page", "0")]).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["lat", "lon", "sort", "page"]);
    }

    #[test]
    fn pages_become_offsets_and_back() {
        let query = parse(&[("q", " jazz "), ("page", "3"), ("per_page", "10")]).unwrap();
        assert_eq!(query.q.as_deref(), Some("jazz"));
        assert_eq!((query.offset, query.limit, query.now_ms), (20, 10, 60_000));
        assert_eq!(query.page(), (3, 10));
    }
}
