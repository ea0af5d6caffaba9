//! Today's date, for freshness gates, waiver expiry and report headers when
//! no `--now` is given.

/// The local calendar date.
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}
