//! The link to a visit's page, `/visit/{id}/{signature}`: no password,
//! and good for that one appointment only ([`crate::signed_link`]). The
//! customer picks a window there, and moves or cancels it up to the cut-off.

use crate::signed_link::{self, VerifyError};
use tend_domain::ids::AppointmentId;
use tend_store::{Store, StoreError};

/// What the signatures of visit links are made for.
const PURPOSE: &str = "appointment page link v1";

/// The path of appointment `id`'s page (under the server's public URL).
pub fn path(store: &Store, id: AppointmentId) -> Result<String, StoreError> {
    let signature = signed_link::sign(store, PURPOSE, &id.to_string())?;
    Ok(format!("/visit/{id}/{signature}"))
}

/// The whole link, under the server's public URL `base`.
pub fn url(store: &Store, base: &str, id: AppointmentId) -> Result<String, StoreError> {
    Ok(format!(
        "{}{}",
        base.trim_end_matches('/'),
        path(store, id)?
    ))
}

/// Checks `signature` is appointment `id`'s.
pub fn verify(store: &Store, id: AppointmentId, signature: &str) -> Result<(), VerifyError> {
    signed_link::verify(store, PURPOSE, &id.to_string(), signature)
}
