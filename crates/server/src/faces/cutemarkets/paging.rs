//! Paged lists on the CuteMarkets face: the query a request stands for (its own, or the one its
//! `page` token carries) and the `next_url` of the page after it.

use store::keys::ApiKey;

use super::query::Params;
use crate::http::Problem;
use crate::pages::PageState;
use crate::state::AppState;

/// Where a page of a list starts.
pub struct Paging {
    /// The route, without a trailing slash.
    route: String,
    /// The key's user and product: only they may use its tokens.
    owner: String,
    /// The list's query: as sent, or as the page token carries it.
    pub params: Params,
    /// Results before this page.
    pub offset: usize,
}

impl Paging {
    /// The query of a request to `path` with `pairs`. With `page`, the query is the one the token
    /// carries and other filters are ignored; credentials never become part of it.
    pub fn of_request(
        state: &AppState,
        key: &ApiKey,
        path: &str,
        pairs: Vec<(String, String)>,
    ) -> Result<Paging, Problem> {
        let route = path.trim_end_matches('/').to_string();
        let owner = format!("{}/{}", key.user_id, key.product.as_str());
        let sent = Params::new(pairs);
        let (pairs, offset) = match sent.get("page") {
            Some(token) => {
                let page = state.pages.open(token, &route, &owner, state.now())?;
                (page.query, page.offset)
            }
            None => {
                let kept = sent
                    .into_pairs()
                    .into_iter()
                    .filter(|(name, _)| name != "apiKey" && name != "page")
                    .collect();
                (kept, 0)
            }
        };
        Ok(Paging {
            route,
            owner,
            params: Params::new(pairs),
            offset: usize::try_from(offset).unwrap_or(usize::MAX),
        })
    }

    /// The `next_url` of a page that ended at `end` of `total` results: an absolute URL on the
    /// public URL, the same path and a signed token; `None` after the last page.
    pub fn next_url(&self, state: &AppState, end: usize, total: usize) -> Option<String> {
        (end < total).then(|| {
            let token = state.pages.sign(&PageState {
                route: self.route.clone(),
                owner: self.owner.clone(),
                query: self.params.pairs().to_vec(),
                offset: end as u64,
                issued: state.now().as_seconds(),
            });
            format!("{}{}/?page={token}", state.settings.public_url, self.route)
        })
    }

    /// This page's slice of `total` results, `limit` long at most.
    pub fn window(&self, limit: usize, total: usize) -> std::ops::Range<usize> {
        let start = self.offset.min(total);
        start..start.saturating_add(limit).min(total)
    }
}
