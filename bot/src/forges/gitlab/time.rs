//! GitLab writes times three ways: RFC 3339 in the REST API and newer hooks
//! (`2013-12-03T17:23:34Z`), `2015-05-17 18:21:36 UTC` and `2021-04-28 21:50:00 +0200`
//! in older hook payloads.

use jiff::Timestamp;
use jiff::fmt::strtime;

/// The instant `text` names, or `None` when it is none of GitLab's formats.
pub fn parse_gitlab_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Some(t);
    }
    let with_offset = match text.strip_suffix(" UTC") {
        Some(rest) => format!("{rest} +0000"),
        None => text.to_owned(),
    };
    strtime::parse("%Y-%m-%d %H:%M:%S %z", &with_offset)
        .and_then(|tm| tm.to_timestamp())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gitlab_format_names_the_same_instant() {
        let want: Timestamp = "2021-04-28T19:50:00Z".parse().unwrap();
        for text in [
            "2021-04-28T19:50:00Z",
            "2021-04-28T21:50:00+02:00",
            "2021-04-28 19:50:00 UTC",
            "2021-04-28 21:50:00 +0200",
        ] {
            assert_eq!(parse_gitlab_time(text), Some(want), "{text}");
        }
        assert_eq!(
            parse_gitlab_time("2019-06-05T14:32:20.211Z"),
            Some("2019-06-05T14:32:20.211Z".parse().unwrap())
        );
        assert_eq!(parse_gitlab_time("2015-04-08T21: 00:25-07:00"), None);
        assert_eq!(parse_gitlab_time("yesterday"), None);
    }
}
