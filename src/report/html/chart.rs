//! The timeline chart: an SVG drawn here, not by a script, so the report
//! needs nothing but itself. Lanes share one time axis; each mark has a
//! `<title>` (the browser shows it on hover, without JavaScript).
//!
//! The SVG stays small whatever the input: points that fall in one pixel
//! column of a lane are drawn once, titled with how many they are, so a
//! lane never holds more marks than the chart is wide. What goes in the
//! lanes is the page's ([`super`]) business.

use maud::{html, Markup};

/// Chart width in SVG units (the page scales it to fit).
const WIDTH: f64 = 1000.0;
/// The label column.
const LABELS: f64 = 190.0;
/// One lane's height.
const LANE: f64 = 24.0;
/// The axis above the lanes.
const AXIS: f64 = 22.0;

/// One thing drawn in a lane.
#[derive(Debug, Clone)]
pub(super) enum Mark {
    /// An instant (epoch seconds), standing for `n` that share its pixel
    /// column.
    Point {
        /// When.
        t: i64,
        /// CSS class: its colour.
        class: &'static str,
        /// The hover text (of the first).
        title: String,
        /// How many it stands for.
        n: u64,
    },
    /// A stretch of time.
    Band {
        /// From.
        from: i64,
        /// To.
        to: i64,
        /// CSS class.
        class: &'static str,
        /// The hover text.
        title: String,
    },
    /// A bar over a stretch, its height `value / max` of the lane.
    Bar {
        /// From.
        from: i64,
        /// To.
        to: i64,
        /// Its value.
        value: f64,
        /// The hover text.
        title: String,
    },
}

/// A row of the chart.
#[derive(Debug, Clone)]
pub(super) struct Lane {
    /// Its label.
    pub label: &'static str,
    /// Its marks.
    pub marks: Vec<Mark>,
}

/// Axis tick steps, seconds: the first that gives at most eight ticks.
const STEPS: [i64; 12] = [
    60,
    300,
    900,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    2 * 86_400,
    7 * 86_400,
    30 * 86_400,
    365 * 86_400,
];

fn label_of(t: i64, step: i64) -> String {
    let dt = crate::scope::at(t);
    if step >= 86_400 {
        dt.format("%Y-%m-%d").to_string()
    } else {
        dt.format("%m-%d %H:%M").to_string()
    }
}

/// The x of `t` on a chart of `[from, to]`.
fn x_of(from: i64, to: i64, t: i64) -> f64 {
    let to = to.max(from + 60);
    LABELS + (t.clamp(from, to) - from) as f64 / (to - from) as f64 * (WIDTH - LABELS - 4.0)
}

/// Instants gathered one pixel column (and class) at a time as they come,
/// so a lane of a million events holds at most a mark per column, and a
/// title is made only for the first in each.
#[derive(Debug)]
pub(super) struct Points {
    from: i64,
    to: i64,
    columns: std::collections::BTreeMap<(i64, &'static str), (i64, String, u64)>,
}

impl Points {
    /// Points for a chart of `[from, to]`.
    pub(super) fn new(from: i64, to: i64) -> Points {
        Points {
            from,
            to,
            columns: Default::default(),
        }
    }

    /// One instant; `title` is called only if it starts a column.
    pub(super) fn add(&mut self, t: i64, class: &'static str, title: impl FnOnce() -> String) {
        let col = x_of(self.from, self.to, t).round() as i64;
        self.columns
            .entry((col, class))
            .and_modify(|c| c.2 += 1)
            .or_insert_with(|| (t, title(), 1));
    }

    /// The marks.
    pub(super) fn into_marks(self) -> Vec<Mark> {
        self.columns
            .into_iter()
            .map(|((_, class), (t, title, n))| Mark::Point { t, class, title, n })
            .collect()
    }
}

/// The chart for `[from, to]` (epoch seconds; widened to a minute at
/// least) with `lanes`, top to bottom.
pub(super) fn timeline(from: i64, to: i64, lanes: &[Lane]) -> Markup {
    let x = |t: i64| x_of(from, to, t);
    let to = to.max(from + 60);
    let height = AXIS + LANE * lanes.len() as f64 + 4.0;
    // At most eight ticks whatever the span (eventTimes are the caller's).
    let step = STEPS
        .iter()
        .copied()
        .find(|s| (to - from) / s <= 8)
        .unwrap_or_else(|| ((to - from) + 7) / 8);
    let first_tick = (from + step - 1).div_euclid(step) * step;
    let ticks: Vec<i64> = (0..)
        .map(|i| first_tick + i * step)
        .take_while(|t| *t <= to)
        .collect();
    html! {
        svg class="timeline" xmlns="http://www.w3.org/2000/svg" role="img"
            viewBox={ "0 0 " (WIDTH) " " (height) } width="100%"
            aria-label="Timeline of the replay, the alarm's states, the changes and the pipeline" {
            @for t in &ticks {
                line class="tick" x1=(fmt(x(*t))) x2=(fmt(x(*t))) y1=(AXIS - 4.0) y2=(height) {}
                @let anchor = if x(*t) > WIDTH - 45.0 { "end" } else { "middle" };
                text class="axis" x=(fmt(x(*t))) y="12" text-anchor=(anchor) { (label_of(*t, step)) }
            }
            @for (i, lane) in lanes.iter().enumerate() {
                @let top = AXIS + LANE * i as f64;
                rect class={ "lane" @if i % 2 == 1 { " odd" } } x="0" y=(fmt(top)) width=(WIDTH) height=(LANE) {}
                text class="label" x="6" y=(fmt(top + LANE * 0.65)) { (lane.label) }
                (marks(&lane.marks, top, &x))
            }
        }
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

fn marks(marks: &[Mark], top: f64, x: &dyn Fn(i64) -> f64) -> Markup {
    let max = marks
        .iter()
        .filter_map(|m| match m {
            Mark::Bar { value, .. } => Some(*value),
            _ => None,
        })
        .fold(0.0_f64, f64::max);
    // Points, one per pixel column and class: the first's title and a count.
    let mut columns: std::collections::BTreeMap<(i64, &'static str), (&str, u64)> =
        Default::default();
    for m in marks {
        if let Mark::Point { t, class, title, n } = m {
            let col = x(*t).round() as i64;
            columns
                .entry((col, class))
                .and_modify(|c| c.1 += n)
                .or_insert((title, *n));
        }
    }
    html! {
        @for m in marks {
            @match m {
                Mark::Band { from, to, class, title } => {
                    rect class=(class) x=(fmt(x(*from))) y=(fmt(top + 4.0))
                        width=(fmt((x(*to) - x(*from)).max(1.5))) height=(fmt(LANE - 8.0)) {
                        title { (title) }
                    }
                }
                Mark::Bar { from, to, value, title } => {
                    @let h = if max > 0.0 { (value / max) * (LANE - 6.0) } else { 0.0 };
                    rect class="bar" x=(fmt(x(*from))) y=(fmt(top + LANE - 3.0 - h))
                        width=(fmt((x(*to) - x(*from)).max(1.5))) height=(fmt(h.max(1.0))) {
                        title { (title) }
                    }
                }
                Mark::Point { .. } => {}
            }
        }
        @for ((col, class), (title, n)) in &columns {
            circle class=(class) cx=(col) cy=(fmt(top + LANE / 2.0)) r="4" {
                title {
                    (title)
                    @if *n > 1 { " (and " (n - 1) " more here)" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_in_one_pixel_column_are_drawn_once() {
        let lane = Lane {
            label: "changes",
            marks: (0..10_000)
                .map(|i| Mark::Point {
                    t: i,
                    class: "ok",
                    title: "<x>".into(),
                    n: 1,
                })
                .collect(),
        };
        let svg = timeline(0, 10_000, &[lane]).into_string();
        let circles = svg.matches("<circle").count();
        assert!(circles > 100 && circles <= 1000, "{circles}");
        assert!(svg.contains("&lt;x&gt; (and "), "titles are escaped");
        assert!(!svg.contains("<x>"));
    }

    #[test]
    fn gathered_points_are_one_per_column_and_count_every_instant() {
        let mut p = Points::new(0, 1_000_000);
        let mut titles = 0;
        for t in 0..1_000_000 {
            p.add(t, "ok", || {
                titles += 1;
                String::new()
            });
        }
        let marks = p.into_marks();
        assert!(marks.len() <= 1000, "{}", marks.len());
        assert_eq!(titles, marks.len());
        let n: u64 = marks
            .iter()
            .map(|m| match m {
                Mark::Point { n, .. } => *n,
                _ => 0,
            })
            .sum();
        assert_eq!(n, 1_000_000);
    }
}
