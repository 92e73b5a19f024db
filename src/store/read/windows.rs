//! The time windows a page reads in, newest first: back from the anchor (the newest row, or
//! now when rows are dated ahead of it), each window four times as long as the one before (10
//! minutes, 40, 160, 640, ...) and none crossing into another group of days, so that a page
//! filled by the newest minutes reads only those minutes of every class partition, and a word
//! found in none of them has proved rare before a longer window is read (issue 21).

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
}

impl Window {
    /// Whether a partition of `[from, to)` may hold rows of the window.
    pub fn overlaps(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        from < self.to && to > self.from
    }
}

/// The lengths of successive windows, carried from one group of days to the next.
#[derive(Debug, Clone, Copy)]
pub struct Growth {
    anchor: DateTime<Utc>,
    length: Duration,
}

impl Growth {
    /// Windows that start [`FIRST_MINUTES`] before `anchor`.
    pub fn from(anchor: DateTime<Utc>) -> Self {
        Growth {
            anchor,
            length: Duration::minutes(FIRST_MINUTES),
        }
    }

    /// Windows covering `[start, end)`, newest first: each ends where the one before starts
    /// and reaches back its length from the anchor or its end, whichever is earlier; a window
    /// wholly after the anchor (rows dated ahead, days made ahead) does not make the next one
    /// longer.
    pub fn windows(&mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Window> {
        let mut windows = Vec::new();
        let mut to = end;
        while to > start {
            let from = (to.min(self.anchor) - self.length).max(start);
            windows.push(Window { from, to });
            if from < self.anchor {
                self.length = self.length * GROWTH;
            }
            to = from;
        }
        windows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap()
    }

    fn bounds(windows: &[Window]) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        windows.iter().map(|w| (w.from, w.to)).collect()
    }

    #[test]
    fn windows_grow_back_from_the_anchor_and_cover_the_range_once() {
        let (start, end) = (at(3, 0, 0), at(6, 0, 0));
        let windows = Growth::from(at(3, 12, 0)).windows(start, end);
        assert_eq!(
            bounds(&windows),
            [
                (at(3, 11, 50), end),
                (at(3, 11, 10), at(3, 11, 50)),
                (at(3, 8, 30), at(3, 11, 10)),
                (start, at(3, 8, 30)),
            ]
        );
    }

    #[test]
    fn the_lengths_carry_over_to_the_next_days() {
        let mut growth = Growth::from(at(3, 0, 5));
        let today = growth.windows(at(3, 0, 0), at(4, 0, 0));
        assert_eq!(bounds(&today), [(at(3, 0, 0), at(4, 0, 0))]);
        let yesterday = growth.windows(at(2, 0, 0), at(3, 0, 0));
        assert_eq!(
            yesterday[0],
            Window {
                from: at(2, 23, 20),
                to: at(3, 0, 0)
            }
        );
        assert_eq!(yesterday[1].from, at(2, 20, 40));
        assert_eq!(yesterday.last().unwrap().from, at(2, 0, 0));
    }

    #[test]
    fn days_after_the_anchor_do_not_make_windows_longer() {
        let mut growth = Growth::from(at(2, 12, 0));
        let ahead = growth.windows(at(3, 0, 0), at(5, 0, 0));
        assert_eq!(bounds(&ahead), [(at(3, 0, 0), at(5, 0, 0))]);
        let day = growth.windows(at(2, 0, 0), at(3, 0, 0));
        assert_eq!(day[0].from, at(2, 11, 50), "still the first length");
    }

    #[test]
    fn a_range_ending_before_the_anchor_starts_its_windows_at_its_end() {
        let windows = Growth::from(at(3, 12, 0)).windows(at(3, 9, 0), at(3, 10, 0));
        assert_eq!(windows[0].from, at(3, 9, 50));
        assert_eq!(windows.last().unwrap().from, at(3, 9, 0));
        assert!(
            Growth::from(at(3, 12, 0))
                .windows(at(3, 10, 0), at(3, 10, 0))
                .is_empty()
        );
        assert!(windows[0].overlaps(at(3, 9, 0), at(3, 9, 51)));
        assert!(!windows[0].overlaps(at(3, 10, 0), at(3, 11, 0)));
    }
}
