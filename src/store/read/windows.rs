//! The time windows a page reads today and the days made ahead of it in: back from `now`, each
//! window four times as long as the one before (10 minutes, 40, 160, 640, then the rest of the
//! range), so that a page filled by the newest minutes reads only those minutes of every class
//! partition, not the whole day of a class where nothing matches (issue 21).

use chrono::{DateTime, Duration, Utc};

/// The first window's length: at 1.4 M rows a day, 10,000 rows of every class together.
const FIRST_MINUTES: i64 = 10;
/// How many times longer each window is than the one before.
const GROWTH: i32 = 4;

/// The rows with `from <= ts < to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// One of the windows growing back from now (else a whole day, or what of it is in range).
    pub from_now: bool,
}

impl Window {
    /// Whether a partition of `[from, to)` may hold rows of the window.
    pub fn overlaps(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        from < self.to && to > self.from
    }
}

/// Windows covering `[start, end)`, newest first: the first ends at `end` and starts
/// [`FIRST_MINUTES`] before `now` (or before `end`, when that is earlier); each of the others
/// ends where the one before starts, [`GROWTH`] times as long.
pub fn newest_first(start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> Vec<Window> {
    let mut windows = Vec::new();
    let mut length = Duration::minutes(FIRST_MINUTES);
    let (mut to, mut from) = (end, end.min(now) - length);
    while to > start {
        let window = Window {
            from: from.max(start),
            to,
            from_now: true,
        };
        windows.push(window);
        length = length * GROWTH;
        (to, from) = (window.from, window.from - length);
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn windows_grow_back_from_now_and_cover_the_range_once() {
        let at = |h: u32, m: u32| Utc.with_ymd_and_hms(2026, 12, 3, h, m, 0).unwrap();
        let start = at(0, 0);
        let end = Utc.with_ymd_and_hms(2026, 12, 6, 0, 0, 0).unwrap();
        let windows = newest_first(start, end, at(12, 0));
        let bounds: Vec<_> = windows.iter().map(|w| (w.from, w.to)).collect();
        assert_eq!(
            bounds,
            [
                (at(11, 50), end),
                (at(11, 10), at(11, 50)),
                (at(8, 30), at(11, 10)),
                (start, at(8, 30)),
            ]
        );
    }

    #[test]
    fn a_range_ending_before_now_starts_its_windows_at_its_end() {
        let at = |h: u32, m: u32| Utc.with_ymd_and_hms(2026, 12, 3, h, m, 0).unwrap();
        let windows = newest_first(at(9, 0), at(10, 0), at(12, 0));
        assert_eq!(windows[0].from, at(9, 50));
        assert_eq!(windows.last().unwrap().from, at(9, 0));
        assert!(newest_first(at(10, 0), at(10, 0), at(12, 0)).is_empty());
        assert!(windows[0].overlaps(at(9, 0), at(9, 51)));
        assert!(!windows[0].overlaps(at(10, 0), at(11, 0)));
    }
}
