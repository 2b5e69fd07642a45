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
    /// An instant (epoch seconds).
    Point {
        /// When.
        t: i64,
        /// CSS class: its colour.
        class: &'static str,
        /// The hover text.
        title: String,
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

/// The chart for `[from, to]` (epoch seconds; widened to a minute at
/// least) with `lanes`, top to bottom.
pub(super) fn timeline(from: i64, to: i64, lanes: &[Lane]) -> Markup {
    let to = to.max(from + 60);
    let span = (to - from) as f64;
    let x = |t: i64| LABELS + (t.clamp(from, to) - from) as f64 / span * (WIDTH - LABELS - 4.0);
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
    let mut columns: Vec<(i64, &'static str, &str, u64)> = Vec::new();
    for m in marks {
        if let Mark::Point { t, class, title } = m {
            let col = x(*t).round() as i64;
            match columns.iter_mut().find(|c| c.0 == col && c.1 == *class) {
                Some(c) => c.3 += 1,
                None => columns.push((col, class, title, 1)),
            }
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
        @for (col, class, title, n) in &columns {
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
                })
                .collect(),
        };
        let svg = timeline(0, 10_000, &[lane]).into_string();
        let circles = svg.matches("<circle").count();
        assert!(circles > 100 && circles <= 1000, "{circles}");
        assert!(svg.contains("&lt;x&gt; (and "), "titles are escaped");
        assert!(!svg.contains("<x>"));
    }
}
