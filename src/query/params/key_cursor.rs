//! The keyset cursor of the trace reads: `base64url("<time micros>:<hex id>")`, the time and id
//! of the last item of the previous page (a span's start and id, or a trace's latest matching
//! start and id), opaque to clients and cheap to check.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Where the next page starts: a time and a lowercase hex id of 16 or 32 digits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct KeyCursor {
    pub at: DateTime<Utc>,
    pub id: String,
}

impl KeyCursor {
    /// The cursor of the page after the item at `at` with id `id`.
    pub fn encode(at: DateTime<Utc>, id: &str) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{id}", at.timestamp_micros()))
    }
}

impl TryFrom<String> for KeyCursor {
    type Error = String;

    fn try_from(cursor: String) -> Result<KeyCursor, String> {
        let invalid = || "not a cursor returned by this API".to_string();
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (micros, id) = text.split_once(':').ok_or_else(invalid)?;
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        // Spans are stored from 1970 on (OTLP times are unsigned nanoseconds since then).
        let at = DateTime::<Utc>::from_timestamp_micros(micros)
            .filter(|at| at.timestamp() >= 0)
            .ok_or_else(invalid)?;
        let hex = id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        if !(hex && matches!(id.len(), 16 | 32)) {
            return Err(invalid());
        }
        Ok(KeyCursor {
            at,
            id: id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Result<KeyCursor, String> {
        KeyCursor::try_from(text.to_string())
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let id = "ab".repeat(8);
        let cursor = decode(&KeyCursor::encode(at, &id)).unwrap();
        assert_eq!((cursor.at, cursor.id), (at, id));
        for bad in [
            "1:x",
            "1:ABABABABABABABAB",
            "-5:abababababababab",
            "x:abababababababab",
        ] {
            assert!(decode(&URL_SAFE_NO_PAD.encode(bad)).is_err(), "{bad}");
        }
        assert!(decode("!!").is_err());
    }
}
