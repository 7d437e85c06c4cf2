//! Paging: a page request as a client sends it, checked, and a page of results.

use crate::error::{Error, Result};

/// A page request: 1-based page, size within 1..=1000.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: i64,
    pub size: i64,
}

pub const DEFAULT_PAGE_SIZE: i64 = 6;
pub const MAX_PAGE_SIZE: i64 = 1000;

fn bad_size() -> Error {
    let why = format!("每页条数须在1到{MAX_PAGE_SIZE}之间");
    Error::BadBody(crate::rows::missing_field_message("size", Some(&why)))
}

impl Page {
    pub fn new(page: i64, size: Option<i64>) -> Result<Page> {
        let size = size.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(bad_size());
        }
        if page < 1 {
            return Err(Error::PageOutOfRange);
        }
        Ok(Page { page, size })
    }

    /// A page from the text of a path segment and an optional `?size=` (an empty size is the
    /// default). Parsed after the session check: Rocket's own parsing would answer first.
    pub fn parse(page: &str, size: Option<&str>) -> Result<Page> {
        let page = page
            .trim()
            .parse::<i64>()
            .map_err(|_| Error::missing_field("page"))?;
        let size = match size.map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(text.parse::<i64>().map_err(|_| bad_size())?),
        };
        Page::new(page, size)
    }

    /// Saturates: a page number near i64::MAX (a client's) lies past any end, so `check` answers
    /// it, rather than an overflow answering 500.
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.size)
    }

    /// Number of pages for `total` items; a page past the end is an error (page 1 of an empty
    /// list is not: it is simply empty).
    pub fn check(&self, total: i64) -> Result<i64> {
        let pages = (total + self.size - 1) / self.size;
        if self.page > pages.max(1) {
            return Err(Error::PageOutOfRange);
        }
        Ok(pages)
    }
}

/// A page of results, as every paged list answers.
pub struct Paged<T> {
    pub pages: i64,
    pub total: i64,
    pub data: Vec<T>,
}
