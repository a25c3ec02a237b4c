//! Requests from the public web form: the customer is found by email (or
//! created, unverified) and the case opened in one transaction, so a
//! failure leaves neither behind.

use crate::cases::{NewCase, write_new_case};
use crate::messages::{NewAttachment, NewMessage};
use crate::model::Case;
use crate::{Result, Store, customers, now};
use serde_json::Map;
use tend_domain::case::{Channel, Priority};
use tend_domain::email::EmailAddress;
use tend_domain::event::Actor;

/// A request posted with the public form.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub email: EmailAddress,
    /// The name the customer gave, if any (used only for a new customer).
    pub name: Option<String>,
    pub subject: String,
    pub message: String,
    pub attachments: Vec<NewAttachment>,
}

impl Store {
    /// Opens a web-form case for the customer with the request's email
    /// address, creating the customer if nobody has that address yet.
    pub async fn open_request(&self, request: NewRequest) -> Result<Case> {
        let (id, state) = self
            .write(move |conn| {
                Box::pin(async move {
                    let customer = customers::find_or_create_by_email(
                        conn,
                        &request.email,
                        request.name.as_deref(),
                    )
                    .await?;
                    let author = Actor::customer(customer);
                    let new = NewCase {
                        subject: request.subject,
                        customer_id: customer,
                        channel: Channel::WebForm,
                        priority: Priority::Normal,
                        tags: Vec::new(),
                        team_id: None,
                        assignee_id: None,
                        agreement_id: None,
                        custom_fields: Map::new(),
                        message: NewMessage {
                            attachments: request.attachments,
                            ..NewMessage::text(author, Channel::WebForm, false, request.message)
                        },
                        follows: None,
                    };
                    let at = now();
                    let repeat = crate::repeat::find_in(conn, &new, at).await?;
                    let (id, state, _) = write_new_case(conn, &new, repeat, author, at).await?;
                    Ok((id, state))
                })
            })
            .await?;
        self.with_sla(Case::from_state(id, &state, &self.effort))
            .await
    }
}
