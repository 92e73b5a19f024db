//! The keyset cursor of the log list: `base64url("<ts micros>:<id>")`, opaque to clients and
//! cheap to check.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::store::read::Position;

/// Where the next page starts: the `cursor` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Cursor(pub Position);

impl Cursor {
    /// The cursor of the page after `position`.
    pub fn encode(position: Position) -> String {
        let text = format!("{}:{}", position.ts.timestamp_micros(), position.id);
        URL_SAFE_NO_PAD.encode(text)
    }
}

impl TryFrom<String> for Cursor {
    type Error = String;

    fn try_from(cursor: String) -> Result<Cursor, String> {
        let invalid = || "not a cursor returned by this API".to_string();
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (micros, id) = text.split_once(':').ok_or_else(invalid)?;
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        let ts = DateTime::<Utc>::from_timestamp_micros(micros)
            .filter(|ts| *ts >= earliest_storable())
            .ok_or_else(invalid)?;
        let id = id.parse().map_err(|_| invalid())?;
        Ok(Cursor(Position { ts, id }))
    }
}

/// The earliest `timestamptz` PostgreSQL stores (4714-11-24 BC, Julian day 0), with a day to
/// spare: a cursor before it would fail in the database, not as the client's error. (The
/// latest, in year 294276, is past any time chrono reads.)
fn earliest_storable() -> DateTime<Utc> {
    let day = NaiveDate::from_ymd_opt(-4713, 11, 25).expect("a valid date");
    day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Result<Position, String> {
        Cursor::try_from(text.to_string()).map(|c| c.0)
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let position = Position {
            ts: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            id: 42,
        };
        assert_eq!(decode(&Cursor::encode(position)), Ok(position));
        assert!(decode("!!").is_err());
        assert!(decode(&URL_SAFE_NO_PAD.encode("1:x")).is_err());
        assert!(decode(&URL_SAFE_NO_PAD.encode("99999999999999999999:1")).is_err());
        let before_4713_bc = -210_900_000_000_000_000_i64;
        let cursor = URL_SAFE_NO_PAD.encode(format!("{before_4713_bc}:1"));
        assert!(decode(&cursor).is_err(), "a cursor PostgreSQL cannot store");
        let ancient = earliest_storable().timestamp_micros();
        assert!(decode(&URL_SAFE_NO_PAD.encode(format!("{ancient}:1"))).is_ok());
    }
}
