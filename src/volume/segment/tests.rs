use super::*;
use reqwest::header::HeaderMap;

fn t(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn fetched(status: u16, body: &str) -> Fetched {
    Fetched {
        status,
        headers: HeaderMap::new(),
        body: body.as_bytes().to_vec(),
        elapsed: Duration::ZERO,
    }
}

fn source(granularity: Granularity, source_ids: &[&str]) -> SegmentVolumeSource {
    SegmentVolumeSource::new(
        SegmentVolumeConfig {
            url: "https://api.segmentapis.com/".into(),
            token_env: "SEGMENT_API_TOKEN".into(),
            granularity,
            source_ids: source_ids.iter().map(|s| (*s).to_owned()).collect(),
            lag_secs: 60.0,
        },
        Duration::from_secs(5),
    )
}

fn read(body: &str) -> Result<Vec<Bucket>, CheckError> {
    let page = parse_page(&fetched(200, body))?;
    let mut buckets = Buckets::new(
        60,
        t("2026-01-05T10:00:00Z"),
        t("2026-01-05T10:05:00Z"),
        &[],
    );
    add_rows(&mut buckets, page.rows)?;
    Ok(buckets.into_vec())
}

#[test]
fn the_url_carries_every_parameter() {
    let url = source(Granularity::Minute, &["src1", "src2"]).url(
        (t("2026-01-05T06:00:00Z"), t("2026-01-05T10:00:00Z")),
        &["Add to Cart".into(), "Order, Completed".into()],
        Some("MQ=="),
    );
    assert_eq!(
        url,
        "https://api.segmentapis.com/events/volume?granularity=MINUTE\
         &startTime=2026-01-05T06%3A00%3A00Z&endTime=2026-01-05T10%3A00%3A00Z\
         &groupBy=eventName&eventName=Add+to+Cart&eventName=Order%2C+Completed\
         &sourceId=src1&sourceId=src2&pagination.count=100&pagination.cursor=MQ%3D%3D"
    );
}

#[test]
fn windows_cover_the_range_once_within_the_limits() {
    let all: Vec<_> = windows(
        t("2026-01-05T00:00:00Z"),
        t("2026-01-05T10:00:00Z"),
        max_window(Granularity::Minute),
    )
    .collect();
    assert_eq!(
        all,
        vec![
            (t("2026-01-05T00:00:00Z"), t("2026-01-05T04:00:00Z")),
            (t("2026-01-05T04:00:00Z"), t("2026-01-05T08:00:00Z")),
            (t("2026-01-05T08:00:00Z"), t("2026-01-05T10:00:00Z")),
        ]
    );
    let hours: Vec<_> = windows(
        t("2026-01-01T00:00:00Z"),
        t("2026-01-29T05:00:00Z"),
        max_window(Granularity::Hour),
    )
    .collect();
    assert_eq!(hours.len(), 3);
    assert_eq!(hours[2].1, t("2026-01-29T05:00:00Z"));
    let none = windows(
        t("2026-01-05T10:00:00Z"),
        t("2026-01-05T10:00:00Z"),
        TimeDelta::hours(4),
    );
    assert_eq!(none.count(), 0);
}

#[test]
fn the_documented_shape_parses() {
    let body = r#"{"data": {"path": "/events/volume", "query": {"granularity": "MINUTE"},
        "result": [
            {"source": {"id": "s"}, "eventName": "Add to Cart", "total": 5,
             "series": [{"time": "2026-01-05T10:00:00Z", "count": 2}, {"time": "2026-01-05T10:01:00Z", "count": 3}]},
            {"eventName": "Checkout", "total": 1, "series": [{"time": "2026-01-05T10:01:00.000Z", "count": 1}]}
        ],
        "pagination": {"current": "MA==", "next": "MQ==", "totalEntries": 3}}}"#;
    let page = parse_page(&fetched(200, body)).unwrap();
    assert_eq!(page.next.as_deref(), Some("MQ=="));
    assert_eq!(
        read(body).unwrap(),
        vec![
            Bucket {
                start: t("2026-01-05T10:00:00Z"),
                event: "Add to Cart".into(),
                count: 2.0
            },
            Bucket {
                start: t("2026-01-05T10:01:00Z"),
                event: "Add to Cart".into(),
                count: 3.0
            },
            Bucket {
                start: t("2026-01-05T10:01:00Z"),
                event: "Checkout".into(),
                count: 1.0
            },
        ]
    );
}

#[test]
fn older_shapes_and_nulls_are_read_leniently() {
    // No `data` envelope, nulls everywhere, a row without a name among named ones.
    let body = r#"{"result": [null,
        {"eventName": "A", "series": [null, {"time": null, "count": 1}, {"time": "2026-01-05T10:02:00Z", "count": null},
                                      {"time": "2026-01-05T10:03:00Z", "count": 4, "extra": {}}]},
        {"eventName": "B", "series": null},
        {"series": [{"time": "2026-01-05T10:03:00Z", "count": 100}]}
    ], "pagination": {"next": null}}"#;
    let page = parse_page(&fetched(200, body)).unwrap();
    assert_eq!(page.next, None);
    assert_eq!(
        read(body).unwrap(),
        vec![Bucket {
            start: t("2026-01-05T10:03:00Z"),
            event: "A".into(),
            count: 4.0
        }]
    );
}

#[test]
fn an_ungrouped_answer_is_an_error_not_silence() {
    let body = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/segment/documented_example.json"
    ))
    .unwrap();
    let err = read(&body).unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not parse the response: Segment answered without event names (not grouped by eventName)"
    );
}

#[test]
fn bad_answers_are_parse_errors() {
    let err = |body: &str| read(body).unwrap_err().to_string();
    assert_eq!(
        err("{}"),
        "could not parse the response: not a Segment events volume answer: it has no `data.result`"
    );
    assert_eq!(
        err(
            r#"{"data": {"result": [{"eventName": "A", "series": [{"time": "noon", "count": 1}]}]}}"#
        ),
        "could not parse the response: Segment sent `noon` as the time of a `A` count"
    );
    assert_eq!(
        err(
            r#"{"data": {"result": [{"eventName": "A", "series": [{"time": "2026-01-05T10:00:00Z", "count": -1}]}]}}"#
        ),
        "could not parse the response: Segment sent the count -1 for `A` at 2026-01-05T10:00:00Z"
    );
    assert!(err(r#"{"data": {"result": "lots"}}"#).starts_with(
        "could not parse the response: not a Segment events volume answer: invalid type"
    ));
    assert_eq!(
        err("<html><body>Sign in</body></html>"),
        "could not parse the response: expected JSON, got an HTML page (text/html)"
    );
}

#[test]
fn refusals_show_segments_words() {
    let s = source(Granularity::Minute, &[]);
    let now = t("2026-01-05T10:00:00Z");
    let err = |status, body| {
        s.read_page(&fetched(status, body), now)
            .err()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        err(
            422,
            r#"{"errors": [{"type": "validation", "message": "startTime must be before <b>endTime</b>"}]}"#
        ),
        "HTTP 422 Unprocessable Entity: startTime must be before endTime"
    );
    assert_eq!(
        err(422, "Bad granularity"),
        "HTTP 422 Unprocessable Entity: Bad granularity"
    );
    assert_eq!(
        err(500, "<html>oops</html>"),
        "HTTP 500 Internal Server Error"
    );
    assert_eq!(
        err(403, "{}"),
        "HTTP 403 Forbidden: Segment refused the token in SEGMENT_API_TOKEN"
    );
    assert_eq!(
        err(
            429,
            r#"{"errors": [{"type": "RequestError", "message": "Too many requests", "data": {"msBeforeNext": 57647}}]}"#
        ),
        "rate limited (HTTP 429), retry after 58 s"
    );
}
