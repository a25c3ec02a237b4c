//! The agent workspace: sign-in, views and search, the case page, the
//! customer and organisation pages, the knowledge-base editor, the account
//! page, notifications and the admin pages.

mod account;
mod admin;
mod availability;
mod bulk;
mod canned_picker;

mod case_page;
mod case_section;
mod customer_agreements;
mod customer_lists;
mod customer_merge;
mod customer_page;
mod effort;
mod filters;
mod follow;
mod identity;
mod kb;
mod live;
mod merge;
mod new_case;
mod notifications;
mod organization_page;
mod outreach;
mod records;
mod related;
mod remote_images;
mod reply_email;
mod reports;
mod saved;
mod search;
mod side_panel;
mod signatures;
mod signin;
mod signin_code;
mod sla_panel;
mod snooze;
mod source;
mod split;
mod survey_box;
mod view_counts;
mod views;
mod visits;
mod visits_panel;

use crate::http::AppState;
// The agent templates call `super::layout::label`, and askama expands a
// template one module below its page's file, so the name is needed here.
use crate::web::shared::layout;
use axum::Router;
use axum::routing::{get, post};

/// The agent workspace's routes, admin pages included.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(views::home))
        .route("/signin", get(signin::page).post(signin::submit))
        .route(
            "/signin/code",
            get(signin_code::page).post(signin_code::submit),
        )
        .route("/signout", post(signin::sign_out))
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route("/account/preferences", post(account::set_preferences))
        .route("/account/signature", post(signatures::set_mine))
        .route("/account/notifications", post(notifications::set_email))
        .route("/account/availability", post(availability::set))
        .route("/account/totp/setup", post(account::begin_totp))
        .route("/account/totp/enable", post(account::enable_totp))
        .route("/account/totp/disable", post(account::disable_totp))
        .route("/views/{view}", get(views::view))
        .route("/views/bulk", post(bulk::bulk))
        .route("/views/counts", get(view_counts::counts))
        .route("/views/saved", post(saved::create))
        .route("/views/saved/{id}", get(views::saved))
        .route("/views/saved/{id}/delete", post(saved::delete))
        .route("/search", get(search::search))
        .route("/notifications", get(notifications::page))
        .route("/notifications/read", post(notifications::mark_all_read))
        .route("/notifications/unread", get(notifications::unread))
        .route("/notifications/{id}", get(notifications::open))
        .route("/notifications/{id}/read", post(notifications::mark_read))
        .route("/agents/mentions", get(notifications::mentions))
        .route("/cases/new", get(new_case::page).post(new_case::submit))
        .route("/visits", get(visits::page))
        .route("/visits/{id}/progress", post(visits::mark))
        .route(
            "/cases/new/email",
            get(outreach::page).post(outreach::submit),
        )
        .route("/cases/{id}/forward", post(outreach::forward))
        .route("/cases/{id}/side_conversations", post(side_panel::start))
        .route("/cases/{id}/visits", post(visits_panel::offer))
        .route(
            "/cases/{id}/visits/{appointment}/book",
            post(visits_panel::book),
        )
        .route(
            "/cases/{id}/visits/{appointment}/cancel",
            post(visits_panel::cancel),
        )
        .route("/side_conversations/{id}/reply", post(side_panel::reply))
        .route("/cases/{id}", get(case_page::page))
        .route("/cases/{id}/reply", post(case_page::reply))
        .route("/cases/{id}/note", post(case_page::note))
        .route("/cases/{id}/update", post(case_page::update))
        .route("/cases/{id}/live", get(live::stream))
        .route("/cases/{id}/typing", post(live::typing))
        .route("/cases/{id}/merge", get(merge::confirm).post(merge::merge))
        .route("/cases/{id}/identity/request", post(identity::request))
        .route("/cases/{id}/identity/verify", post(identity::verify))
        .route("/cases/{id}/effort/contact", post(effort::log_contact))
        .route("/cases/{id}/effort/ask", post(effort::ask))
        .route("/cases/{id}/effort/repeated", post(effort::repeated))
        .route("/cases/{id}/effort/repeat", post(effort::link_repeat))
        // The case page's tools (promises, channel switch, snooze, follow,
        // related cases, split).
        .route("/cases/{id}/promise", post(records::promise))
        .route("/cases/{id}/promise/outcome", post(records::outcome))
        .route("/cases/{id}/channel-switch", post(records::channel_switch))
        .route("/cases/{id}/snooze", post(snooze::snooze))
        .route("/cases/{id}/snooze/wake", post(snooze::wake))
        .route("/cases/{id}/follow", post(follow::follow))
        .route("/cases/{id}/related", post(related::link))
        .route("/cases/{id}/related/{other}/unlink", post(related::unlink))
        .route("/cases/{id}/split", post(split::split))
        .route("/messages/{id}/source", get(source::source))
        .route("/messages/{id}/bounce", get(source::bounce))
        .route("/messages/{id}/images", get(remote_images::page))
        .route("/attachments/{id}", get(case_page::attachment))
        .route("/customers", get(customer_lists::customers))
        .route("/customers/{id}", get(customer_page::page))
        .route("/customers/{id}/notes", post(customer_page::add_note))
        .route("/customers/{id}/edit", post(customer_page::edit))
        .route("/customers/{id}/agreements", post(customer_agreements::add))
        .route(
            "/customers/{id}/agreements/{agreement}",
            post(customer_agreements::set_status),
        )
        .route(
            "/customers/{id}/merge",
            get(customer_merge::confirm).post(customer_merge::merge),
        )
        .route("/organizations", get(customer_lists::organizations))
        .route("/organizations/{id}", get(organization_page::page))
        .route("/reports", get(reports::page))
        .route("/reports/{report}/csv", get(reports::csv))
        .route("/kb", get(kb::list))
        .route("/kb/articles", post(kb::create))
        .route("/kb/articles/{id}", get(kb::edit).post(kb::update))
        .route("/kb/articles/{id}/state", post(kb::set_state))
        .route("/kb/categories", post(kb::create_category))
        .merge(admin::router())
}
