//! The `survey` job: enqueued when a case is resolved, due after its
//! inbox's delay, it emails the customer the survey (one link per score,
//! see [`super::link`]) if, by then, the case is still resolved or closed,
//! the inbox still sends surveys, and the customer may be surveyed: never
//! an automated sender, never an address whose mail bounced, never twice
//! for a case and at most once per the inbox's period (those last two are
//! checked again in the transaction that queues the email with its
//! `survey_sent` event, so two runs never both send).

use super::link::{Link, new_survey_id};
use crate::jobs::outcome::{JobError, payload_id};
use crate::mail::outbound::system_email;
use jiff::Timestamp;
use std::fmt::Write as _;
use tend_domain::case::Status;
use tend_domain::email::EmailAddress;
use tend_domain::ids::CaseId;
use tend_domain::survey::{ANSWER_WINDOW, SurveyKind};
use tend_store::Store;
use tend_store::jobs::Job;
use tend_store::surveys::SurveyOutcome;

/// Runs a `survey` job; `public_url` is where the links point.
pub async fn run(store: Store, job: Job, public_url: &str) -> Result<(), JobError> {
    let case_id = CaseId(payload_id(&job, "case_id")?);
    let case = store.case(case_id).await?;
    if !matches!(case.status, Status::Resolved | Status::Closed) {
        return Ok(());
    }
    let Some(ctx) = store.reply_context(case_id).await? else {
        return Ok(());
    };
    let settings = ctx.inbox.survey;
    if !settings.enabled {
        return Ok(());
    }
    let automated = ctx.recipient == EmailAddress::unknown_sender().as_str()
        || store.survey_sender_automated(case_id).await?;
    if automated || store.address_bounced(&ctx.recipient).await? {
        tracing::info!(case = %case_id, "not surveyed: an automated sender or a bounced address");
        return Ok(());
    }
    let survey = new_survey_id();
    let expires = Timestamp::now()
        .checked_add(ANSWER_WINDOW)
        .map_err(JobError::permanent)?;
    let mut kinds = vec![SurveyKind::Ces];
    if settings.csat {
        kinds.push(SurveyKind::Csat);
    }
    let mut text = format!(
        "Hello,\n\nyour request {} \"{}\" was resolved. How did it go? One click answers:\n",
        case.reference, case.subject
    );
    for kind in kinds {
        write_question(&mut text, kind, &ctx.inbox.name);
        for score in 1..=kind.max_score() {
            let link = Link {
                case: case_id,
                survey: survey.clone(),
                kind,
                score,
                expires,
            };
            let url = link.url(&store, public_url).map_err(JobError::permanent)?;
            let _ = writeln!(text, "  {score} ({}): {url}", kind.label(score));
        }
    }
    let _ = write!(
        text,
        "\nYou can change your answer, and add a comment, for 7 days. You can also answer \
         in your requests at {}/portal.\n\n{}\n\n(This is an automatic message.)\n",
        public_url.trim_end_matches('/'),
        ctx.inbox.name
    );
    let subject = format!("How did we do? [{}]", case.reference);
    let mail =
        system_email(&ctx.inbox, &ctx.recipient, &subject, text).map_err(JobError::permanent)?;
    let outcome = store
        .record_survey_sent(case_id, survey, settings.csat, settings.every_days, mail)
        .await?;
    if outcome != SurveyOutcome::Sent {
        tracing::info!(case = %case_id, ?outcome, "survey not sent");
    }
    Ok(())
}

/// Adds `kind`'s question, for the business `business`, to the email.
fn write_question(text: &mut String, kind: SurveyKind, business: &str) {
    let scale = match kind {
        SurveyKind::Ces => "1 = strongly disagree, 7 = strongly agree",
        SurveyKind::Csat => "1 = very dissatisfied, 5 = very satisfied",
    };
    let _ = write!(text, "\n{}\n({scale})\n\n", kind.question(business));
}
