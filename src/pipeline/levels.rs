//! Level normalization used by every decoder: OTLP severity numbers, level names from any
//! logging library, pino's numeric levels and loguru's level objects, all mapped to [`Level`].

use serde_json::Value;

use crate::model::Level;

/// The level of an OTLP severity number: 1-4 trace, 5-8 debug, ... 21-24 fatal; else `None`.
pub fn from_severity_number(n: i32) -> Option<Level> {
    let index = usize::try_from(n.checked_sub(1)?).ok()? / 4;
    Level::ALL.get(index).copied()
}

/// The base OTLP severity number of a level (TRACE=1, DEBUG=5, ... FATAL=21).
pub fn severity_number(level: Level) -> u8 {
    level.base_severity_number()
}

/// The level of a name, in any case and trimmed: the names of syslog, log4j, JUL, Python, .NET,
/// winston, loguru and zap, and OTLP severity texts with a 1-4 suffix (`INFO2`, `WARN3`).
pub fn from_name(name: &str) -> Option<Level> {
    parse_name(name).map(|(level, _)| level)
}

/// The level and severity number of a JSON level field: a name, a pino number (10 trace ... 60
/// fatal, values in between by range, 0..=100 accepted), a Monolog level (100 debug, 200 info,
/// 250 notice, 300 warning, 400 error, 500 critical, 550 alert, 600 emergency), a numeric
/// string, or a loguru object
/// `{"name": "INFO", "no": 20}` (its name, else its Python-scale number).
pub fn from_json(value: &Value) -> Option<(Level, u8)> {
    match value {
        Value::String(text) => match text.trim().parse::<f64>() {
            Ok(number) => from_pino(number).or_else(|| from_monolog(number)),
            Err(_) => parse_name(text),
        },
        Value::Number(number) => {
            let number = number.as_f64()?;
            from_pino(number).or_else(|| from_monolog(number))
        }
        Value::Object(object) => match object.get("name") {
            Some(Value::String(name)) => parse_name(name),
            _ => from_python(object.get("no")?.as_f64()?),
        },
        _ => None,
    }
}

/// A name and its optional OTLP suffix digit, as a level and severity number.
fn parse_name(name: &str) -> Option<(Level, u8)> {
    let name = name.trim();
    if let Some(level) = base_name(name) {
        return Some((level, level.base_severity_number()));
    }
    let offset = match name.as_bytes().last()? {
        digit @ b'1'..=b'4' => digit - b'1',
        _ => return None,
    };
    let level = base_name(&name[..name.len() - 1])?;
    Some((level, level.base_severity_number() + offset))
}

/// A level name without suffix, compared without regard to ASCII case.
fn base_name(name: &str) -> Option<Level> {
    let mut buffer = [0u8; 16];
    let lower = buffer.get_mut(..name.len())?;
    lower.copy_from_slice(name.as_bytes());
    lower.make_ascii_lowercase();
    let level = match &*lower {
        b"trace" | b"trc" | b"verbose" | b"silly" | b"finest" => Level::Trace,
        b"debug" | b"dbg" | b"fine" | b"finer" | b"config" => Level::Debug,
        b"info" | b"inf" | b"information" | b"informational" | b"notice" | b"http" | b"success" => {
            Level::Info
        }
        b"warn" | b"warning" | b"wrn" => Level::Warn,
        b"error" | b"err" | b"severe" => Level::Error,
        b"fatal" | b"critical" | b"crit" | b"alert" | b"emerg" | b"emergency" | b"panic"
        | b"dpanic" | b"ftl" => Level::Fatal,
        _ => return None,
    };
    Some(level)
}

/// pino's scale: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal.
fn from_pino(number: f64) -> Option<(Level, u8)> {
    if !(0.0..=100.0).contains(&number) {
        return None;
    }
    let level = match number {
        n if n >= 60.0 => Level::Fatal,
        n if n >= 50.0 => Level::Error,
        n if n >= 40.0 => Level::Warn,
        n if n >= 30.0 => Level::Info,
        n if n >= 20.0 => Level::Debug,
        _ => Level::Trace,
    };
    Some((level, level.base_severity_number()))
}

/// Monolog's (PHP) levels, which are exact values: 101 or 450 is no level.
fn from_monolog(number: f64) -> Option<(Level, u8)> {
    if !(100.0..=600.0).contains(&number) || number.fract() != 0.0 {
        return None;
    }
    let level = match number as u16 {
        100 => Level::Debug,
        200 | 250 => Level::Info,
        300 => Level::Warn,
        400 => Level::Error,
        500 | 550 | 600 => Level::Fatal,
        _ => return None,
    };
    Some((level, level.base_severity_number()))
}

/// Python's (and loguru's) scale: 5 trace, 10 debug, 20 info, 30 warning, 40 error, 50 critical.
fn from_python(number: f64) -> Option<(Level, u8)> {
    if !(0.0..=100.0).contains(&number) {
        return None;
    }
    let level = match number {
        n if n >= 50.0 => Level::Fatal,
        n if n >= 40.0 => Level::Error,
        n if n >= 30.0 => Level::Warn,
        n if n >= 20.0 => Level::Info,
        n if n >= 10.0 => Level::Debug,
        _ => Level::Trace,
    };
    Some((level, level.base_severity_number()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn severity_number_ranges() {
        assert_eq!(from_severity_number(0), None);
        assert_eq!(from_severity_number(1), Some(Level::Trace));
        assert_eq!(from_severity_number(8), Some(Level::Debug));
        assert_eq!(from_severity_number(9), Some(Level::Info));
        assert_eq!(from_severity_number(16), Some(Level::Warn));
        assert_eq!(from_severity_number(17), Some(Level::Error));
        assert_eq!(from_severity_number(24), Some(Level::Fatal));
        assert_eq!(from_severity_number(25), None);
        assert_eq!(from_severity_number(i32::MIN), None);
        assert_eq!(severity_number(Level::Warn), 13);
    }

    #[test]
    fn names_from_common_libraries() {
        let cases = [
            ("  WARNING ", Level::Warn),
            ("Information", Level::Info),
            ("SUCCESS", Level::Info),
            ("notice", Level::Info),
            ("silly", Level::Trace),
            ("Verbose", Level::Trace),
            ("FINE", Level::Debug),
            ("SEVERE", Level::Error),
            ("err", Level::Error),
            ("CRITICAL", Level::Fatal),
            ("emerg", Level::Fatal),
            ("DPANIC", Level::Fatal),
            ("INFO2", Level::Info),
            ("WARN3", Level::Warn),
        ];
        for (name, level) in cases {
            assert_eq!(from_name(name), Some(level), "{name}");
        }
        for unknown in [
            "",
            "INFO5",
            "INFO0",
            "banana",
            "2",
            "informationalx",
            "ééééééééé",
        ] {
            assert_eq!(from_name(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn json_levels() {
        assert_eq!(from_json(&json!(30)), Some((Level::Info, 9)));
        assert_eq!(from_json(&json!(35)), Some((Level::Info, 9)));
        assert_eq!(from_json(&json!(50)), Some((Level::Error, 17)));
        assert_eq!(from_json(&json!(60)), Some((Level::Fatal, 21)));
        assert_eq!(from_json(&json!(5)), Some((Level::Trace, 1)));
        assert_eq!(from_json(&json!("40")), Some((Level::Warn, 13)));
        assert_eq!(from_json(&json!("ERROR3")), Some((Level::Error, 19)));
        assert_eq!(from_json(&json!(101)), None);
        assert_eq!(from_json(&json!(400)), Some((Level::Error, 17)));
        assert_eq!(from_json(&json!(250)), Some((Level::Info, 9)));
        assert_eq!(from_json(&json!("550")), Some((Level::Fatal, 21)));
        assert_eq!(from_json(&json!(450)), None);
        assert_eq!(from_json(&json!(-1)), None);
        assert_eq!(from_json(&json!(true)), None);
        let loguru = json!({"icon": "✅", "name": "SUCCESS", "no": 25});
        assert_eq!(from_json(&loguru), Some((Level::Info, 9)));
        assert_eq!(from_json(&json!({"no": 40})), Some((Level::Error, 17)));
    }

    proptest! {
        #[test]
        fn every_i32_maps_iff_in_range(n in any::<i32>()) {
            let level = from_severity_number(n);
            prop_assert_eq!(level.is_some(), (1..=24).contains(&n));
            if let Some(level) = level {
                let base = i32::from(level.base_severity_number());
                prop_assert!((base..base + 4).contains(&n));
            }
        }

        #[test]
        fn from_json_is_total_and_in_range(text in ".{0,20}", number in any::<f64>()) {
            for value in [json!(text), json!(number)] {
                if let Some((level, severity)) = from_json(&value) {
                    let base = level.base_severity_number();
                    prop_assert!((base..base + 4).contains(&severity));
                }
            }
        }
    }

    #[test]
    fn contract_names_round_trip() {
        for level in Level::ALL {
            assert_eq!(from_name(level.as_str()), Some(level));
            assert_eq!(from_name(&level.as_str().to_uppercase()), Some(level));
            assert_eq!(
                from_severity_number(i32::from(severity_number(level))),
                Some(level)
            );
        }
    }
}
