//! Support-desk text for the benchmark dataset: subjects and messages built
//! from a fixed vocabulary, with marker words at known rates so searches have
//! the same selectivity as the peer benchmark's seeded data (django-helpdesk,
//! `hdctl.py seed`): "zebra" in ~0.1 % of cases, "printer" in ~16 %, and
//! "qqnomatchqq" never.
//!
//! The vocabulary avoids every form of the marker words ("printers",
//! "zebras"), because both full-text backends stem: otherwise the marker rates
//! would drift with the vocabulary.

use rand::Rng;
use std::ops::RangeInclusive;

/// In ~0.1 % of case subjects: a rare search hit.
pub const RARE_WORD: &str = "zebra";
/// In ~16 % of cases (first message, sometimes the subject): a common hit.
pub const COMMON_WORD: &str = "printer";
/// Never written: a search with no hits.
pub const ABSENT_WORD: &str = "qqnomatchqq";

const RARE_RATE: f64 = 0.001;
const COMMON_RATE: f64 = 0.16;

/// One kind of request, with the sentences customers and agents use for it.
/// Templates use `{slot}` placeholders filled by [`Slots::get`].
struct Topic {
    tag: &'static str,
    /// Whether cases of this kind carry an order number custom field.
    has_order: bool,
    subjects: &'static [&'static str],
    /// The customer's description of the problem.
    problem: &'static [&'static str],
    /// What an agent answers.
    replies: &'static [&'static str],
    /// What the customer writes back.
    follow_ups: &'static [&'static str],
}

const TOPICS: &[Topic] = &[
    Topic {
        tag: "billing",
        has_order: false,
        subjects: &[
            "Charged twice for my {plan} subscription",
            "Question about invoice {invoice}",
            "Unexpected charge of {amount} on my card",
            "Wrong billing address on invoice {invoice}",
            "Discount code not applied to my invoice",
        ],
        problem: &[
            "I was charged {amount} twice this month for the same subscription.",
            "The invoice {invoice} shows a different amount than the price on your website.",
            "My bank statement shows a payment of {amount} that I do not recognise.",
            "Could you send me a corrected invoice with our VAT number on it?",
            "The discount code from your newsletter was not applied to my last invoice.",
            "I switched to the {plan} plan but I am still billed for the old one.",
        ],
        replies: &[
            "I have checked your account and I can see the duplicate payment of {amount}.",
            "I have asked our billing team to issue a corrected invoice, you will receive it by email.",
            "The second charge was a pre-authorisation and will disappear within {days} working days.",
            "I have applied the discount retroactively, so you will see a credit on your next invoice.",
            "Your plan change is now reflected in our billing system.",
        ],
        follow_ups: &[
            "Thanks, but the refund for the duplicate charge has not reached my account yet.",
            "The corrected invoice still has the old address on it.",
            "Can you confirm the amount I will be billed next month?",
        ],
    },
    Topic {
        tag: "login",
        has_order: false,
        subjects: &[
            "Can't log in to my account",
            "Password reset email never arrives",
            "Account locked after too many attempts",
            "Two-factor code is not accepted",
            "Login page keeps loading forever",
        ],
        problem: &[
            "Every time I try to log in I get the message that my password is incorrect.",
            "I requested a password reset three times but the email never arrived, not even in spam.",
            "My account got locked after I mistyped my password and now I cannot get in at all.",
            "The two-factor code from my authenticator app is rejected every time.",
            "After entering my password the login page just keeps loading.",
            "I changed phones and lost access to my authenticator app.",
        ],
        replies: &[
            "I have unlocked your account, please try to log in again.",
            "I have sent a new password reset link, it is valid for {days} hours.",
            "Please make sure the clock on your phone is set automatically, two-factor codes depend on it.",
            "I have reset your two-factor settings, you can enrol your new phone at the next login.",
            "Clearing the browser cache usually fixes the endless loading after login.",
        ],
        follow_ups: &[
            "The reset link says it has expired when I click it.",
            "I can log in again now, but it asks me to set up two-factor again.",
            "Still the same error, I tried two different browsers.",
        ],
    },
    Topic {
        tag: "delivery",
        has_order: true,
        subjects: &[
            "Where is my order {order}?",
            "Parcel marked as delivered but not received",
            "Delivery of order {order} delayed again",
            "Wrong delivery address on order {order}",
            "Tracking number does not work",
        ],
        problem: &[
            "I ordered a {item} {days} days ago and the tracking page has not changed since.",
            "The tracking says the parcel was delivered yesterday but nothing arrived here.",
            "The delivery date for order {order} has been moved for the second time.",
            "I entered my old address by mistake, can you change it before the parcel ships?",
            "The tracking number in the confirmation email is not recognised by the courier.",
            "My neighbours did not receive anything either and there is no note in the letterbox.",
        ],
        replies: &[
            "I have contacted the courier and opened an investigation for order {order}.",
            "The parcel is at the local depot and should reach you within {days} working days.",
            "I have updated the delivery address, the parcel had not left our warehouse yet.",
            "The courier confirmed the parcel was left with a neighbour, please check with them.",
            "If the parcel does not turn up by Friday we will send a replacement free of charge.",
        ],
        follow_ups: &[
            "The parcel still has not arrived and the courier says it is with you.",
            "Got it today, thanks, but the box was damaged.",
            "Can you send the replacement by express delivery please?",
        ],
    },
    Topic {
        tag: "hardware",
        has_order: true,
        subjects: &[
            "My {item} won't turn on",
            "{item} arrived with a cracked screen",
            "{item} keeps restarting",
            "Battery of my {item} drains in an hour",
            "Error {error} on my {item}",
        ],
        problem: &[
            "My {item} stopped working this morning, nothing happens when I press the power button.",
            "The {item} arrived with a crack across the screen, the box looked fine.",
            "Since the last update my {item} restarts every few minutes.",
            "The battery of my {item} is empty after an hour even though it is almost new.",
            "The {item} shows error {error} and then switches itself off.",
            "I already tried a factory reset on the {item} as described in the manual.",
        ],
        replies: &[
            "Please hold the power button of the {item} for thirty seconds to force a restart.",
            "I am sorry it arrived damaged, I have arranged a free replacement for your {item}.",
            "Error {error} usually means a firmware problem, version {version} fixes it.",
            "Your {item} is under warranty, I have emailed you a prepaid return label.",
            "Could you send us a photo of the serial number on the back of the {item}?",
        ],
        follow_ups: &[
            "I tried the forced restart but the {item} is still dead.",
            "Here is the photo of the serial number you asked for.",
            "The replacement {item} has the same problem.",
        ],
    },
    Topic {
        tag: "refund",
        has_order: true,
        subjects: &[
            "Refund for order {order}",
            "Still waiting for my refund",
            "Return label for my {item}",
            "Refund amount is wrong",
        ],
        problem: &[
            "I returned the {item} two weeks ago and have not received my refund of {amount} yet.",
            "The refund I received is less than what I paid for order {order}.",
            "I would like to return the {item}, it does not fit my needs.",
            "Your website says refunds take {days} days but it has been much longer.",
            "The return label in my account cannot be printed, the link is broken.",
        ],
        replies: &[
            "Your return was received by our warehouse and the refund of {amount} has been issued.",
            "Refunds take up to {days} working days to appear on your statement depending on your bank.",
            "I have emailed you a new return label for order {order}.",
            "The difference is the original shipping cost, which I have now refunded as well.",
        ],
        follow_ups: &[
            "The refund has still not shown up on my statement.",
            "Thank you, the new return label works.",
            "Can I get store credit instead of a refund?",
        ],
    },
    Topic {
        tag: "account",
        has_order: false,
        subjects: &[
            "Change the email address on my account",
            "Please close my account",
            "Update my phone number",
            "Merge my two accounts",
        ],
        problem: &[
            "I no longer use my old email address and would like to change it on my account.",
            "Please close my account and delete my personal data.",
            "I have a new phone number and cannot find where to update it in the settings.",
            "I accidentally created two accounts with different email addresses.",
            "My name is misspelled on my account and on every invoice.",
        ],
        replies: &[
            "I have updated the email address, please confirm it with the link we just sent.",
            "Your account will be closed and your data deleted within {days} days as required by law.",
            "You can change your phone number under Settings, then Profile, then Contact details.",
            "I have merged both accounts, your order history is now in one place.",
        ],
        follow_ups: &[
            "The confirmation link did not arrive at the new address.",
            "Will I still be able to see my old invoices?",
            "Thanks, that worked.",
        ],
    },
    Topic {
        tag: "app",
        has_order: false,
        subjects: &[
            "App crashes when I open settings",
            "Error {error} when saving changes",
            "Sync stopped working after the update",
            "Notifications no longer arrive",
        ],
        problem: &[
            "The app closes immediately when I open the settings screen.",
            "Whenever I save my changes I get error {error} and everything is lost.",
            "Since updating to version {version} the app no longer syncs with my {item}.",
            "I stopped receiving notifications even though they are enabled.",
            "The app is extremely slow and the battery drains while it runs in the background.",
        ],
        replies: &[
            "This is a known issue in version {version} and a fix will be released this week.",
            "Please log out of the app, reinstall it and log in again.",
            "Our developers need the log file: go to Help, then Send diagnostics.",
            "Please check that background refresh is enabled for the app in your phone settings.",
        ],
        follow_ups: &[
            "I reinstalled the app and the problem is still there.",
            "I sent the diagnostics just now.",
            "The update fixed it, thank you.",
        ],
    },
    Topic {
        tag: "subscription",
        has_order: false,
        subjects: &[
            "Cancel my subscription",
            "Upgrade to the {plan} plan",
            "Pause my subscription for the summer",
            "Subscription renewed without notice",
        ],
        problem: &[
            "Please cancel my subscription at the end of the current billing period.",
            "I would like to upgrade to the {plan} plan, what happens to the days I already paid?",
            "Can I pause my subscription for two months while I am travelling?",
            "My subscription renewed automatically and I was charged {amount} without any reminder.",
        ],
        replies: &[
            "I have cancelled your subscription, you keep access until the end of the period.",
            "I have upgraded you to the {plan} plan and credited the unused days.",
            "I have paused your subscription, billing resumes automatically in two months.",
            "As a one-off I have refunded the renewal of {amount}.",
        ],
        follow_ups: &[
            "I still received a renewal reminder after cancelling.",
            "Does the upgrade include the extra users?",
            "Thank you for the quick help.",
        ],
    },
];

const ITEMS: &[&str] = &[
    "laptop",
    "router",
    "headset",
    "smartwatch",
    "tablet",
    "coffee machine",
    "monitor",
    "phone",
    "robot vacuum",
    "e-reader",
    "camera",
    "speaker",
    "keyboard",
    "thermostat",
    "dishwasher",
    "doorbell camera",
];
const PLANS: &[&str] = &["Basic", "Plus", "Family", "Business", "Pro"];
const GREETINGS: &[&str] = &[
    "Hello,",
    "Hi,",
    "Hi there,",
    "Dear support team,",
    "Good morning,",
];
const CONTEXT: &[&str] = &[
    "I have been a customer for {days} years and never had this problem before.",
    "This is the second time I am writing about this.",
    "I need this sorted out before the weekend.",
    "My order number is {order}.",
    "I already searched your help centre but found nothing useful.",
    "I called your hotline yesterday but nobody answered.",
    "Please answer by email, I cannot take calls at work.",
];
const OPENERS: &[&str] = &[
    "Thank you for contacting us.",
    "Sorry for the trouble.",
    "Thanks for your patience.",
    "Thank you for the details.",
];
const CLOSERS: &[&str] = &[
    "Let me know if there is anything else I can do.",
    "Please reply to this message if the problem comes back.",
    "I will keep this case open until we hear from you.",
];
/// Ways a printer comes up in a case whose topic did not mention one.
const PRINTER_ASIDES: &[&str] = &[
    "Not sure if it is related, but my printer shows an offline error since the same day.",
    "I could not even print the confirmation, my printer keeps jamming.",
    "The printer in our office stopped working at the same time.",
];
const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko",
    "Liam", "Maria", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wei", "Yusuf", "Zoe",
];
const LAST_NAMES: &[&str] = &[
    "Andersen",
    "Brown",
    "Costa",
    "Dubois",
    "Eriksson",
    "Fischer",
    "Garcia",
    "Huber",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Meyer",
    "Nakamura",
    "O'Brien",
    "Petrov",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Usman",
    "Varga",
    "Walsh",
    "Yilmaz",
    "Zimmermann",
];

/// The text of one case: subject, tag, order number and the messages in
/// order, alternating customer (even indexes) and agent (odd indexes).
#[derive(Debug)]
pub struct CaseText {
    pub subject: String,
    pub tag: &'static str,
    pub order_number: Option<String>,
    pub messages: Vec<String>,
}

/// A customer's display name, stable for an index so cases can greet them.
pub fn customer_name(index: usize) -> String {
    let first = FIRST_NAMES[index % FIRST_NAMES.len()];
    // A different stride for last names, so names repeat rarely.
    let last = LAST_NAMES[(index / FIRST_NAMES.len() + index * 7) % LAST_NAMES.len()];
    format!("{first} {last}")
}

/// Generates a case with `messages` messages (at least one) from `customer`.
pub fn case_text(rng: &mut impl Rng, customer: &str, messages: usize) -> CaseText {
    let topic = &TOPICS[rng.random_range(0..TOPICS.len())];
    let mentions_printer = rng.random_bool(COMMON_RATE);
    let slots = Slots::new(rng, customer, mentions_printer);
    let mut subject = capitalized(&fill(pick(rng, topic.subjects), &slots));
    if rng.random_bool(RARE_RATE) {
        subject.push_str(&format!(" ({RARE_WORD} print edition)"));
    }
    let mut texts = Vec::with_capacity(messages.max(1));
    let mut opening = customer_opening(rng, topic, &slots);
    if mentions_printer && !opening.contains(COMMON_WORD) && !subject.contains(COMMON_WORD) {
        opening.push_str("\n\n");
        opening.push_str(pick(rng, PRINTER_ASIDES));
    }
    texts.push(opening);
    for n in 1..messages.max(1) {
        let text = if n % 2 == 1 {
            agent_reply(rng, topic, &slots)
        } else {
            customer_follow_up(rng, topic, &slots)
        };
        texts.push(text);
    }
    CaseText {
        subject,
        tag: topic.tag,
        order_number: topic.has_order.then(|| slots.order.clone()),
        messages: texts,
    }
}

fn customer_opening(rng: &mut impl Rng, topic: &Topic, slots: &Slots) -> String {
    let mut parts = vec![pick(rng, GREETINGS).to_string()];
    let mut body = Vec::new();
    for sentence in pick_distinct(rng, topic.problem, 1..=2) {
        body.push(fill(sentence, slots));
    }
    for sentence in pick_distinct(rng, CONTEXT, 1..=3) {
        body.push(fill(sentence, slots));
    }
    parts.push(body.join(" "));
    parts.push(format!("Thanks,\n{}", slots.customer));
    parts.join("\n\n")
}

fn agent_reply(rng: &mut impl Rng, topic: &Topic, slots: &Slots) -> String {
    let mut body = vec![pick(rng, OPENERS).to_string()];
    for sentence in pick_distinct(rng, topic.replies, 1..=3) {
        body.push(fill(sentence, slots));
    }
    body.push(pick(rng, CLOSERS).to_string());
    format!(
        "Hi {},\n\n{}\n\nKind regards,\nCustomer Support",
        slots.first_name(),
        body.join(" ")
    )
}

fn customer_follow_up(rng: &mut impl Rng, topic: &Topic, slots: &Slots) -> String {
    let body: Vec<String> = pick_distinct(rng, topic.follow_ups, 1..=2)
        .into_iter()
        .map(|s| fill(s, slots))
        .collect();
    format!("{}\n\n{}", body.join(" "), slots.first_name())
}

/// Values for the `{slot}` placeholders, chosen once per case so every
/// message of a case talks about the same order, device and amount.
struct Slots {
    customer: String,
    item: String,
    order: String,
    invoice: String,
    amount: String,
    days: String,
    error: String,
    version: String,
    plan: String,
}

impl Slots {
    fn new(rng: &mut impl Rng, customer: &str, printer: bool) -> Self {
        let item = if printer {
            COMMON_WORD
        } else {
            pick(rng, ITEMS)
        };
        Self {
            customer: customer.to_string(),
            item: item.to_string(),
            order: format!("A{}", rng.random_range(100_000..1_000_000)),
            invoice: format!("INV-{}", rng.random_range(10_000..100_000)),
            amount: format!(
                "EUR {}.{:02}",
                rng.random_range(5..500),
                rng.random_range(0..100)
            ),
            days: rng.random_range(2..15).to_string(),
            error: format!("E{}", rng.random_range(10..100)),
            version: format!("{}.{}", rng.random_range(2..6), rng.random_range(0..10)),
            plan: pick(rng, PLANS).to_string(),
        }
    }

    fn first_name(&self) -> &str {
        self.customer.split(' ').next().unwrap_or_default()
    }

    fn get(&self, slot: &str) -> &str {
        match slot {
            "item" => &self.item,
            "order" => &self.order,
            "invoice" => &self.invoice,
            "amount" => &self.amount,
            "days" => &self.days,
            "error" => &self.error,
            "version" => &self.version,
            "plan" => &self.plan,
            _ => "",
        }
    }
}

/// Replaces each `{slot}` in `template` with its value.
fn fill(template: &str, slots: &Slots) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        out.push_str(slots.get(&after[..end]));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One element of a constant, non-empty list.
fn pick<'a>(rng: &mut impl Rng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// A random number (in `count`) of different elements, in list order
/// (sentences read better that way).
fn pick_distinct<'a>(
    rng: &mut impl Rng,
    items: &[&'a str],
    count: RangeInclusive<usize>,
) -> Vec<&'a str> {
    let n = rng.random_range(count).min(items.len());
    let mut picked = rand::seq::index::sample(rng, items.len(), n).into_vec();
    picked.sort_unstable();
    picked.into_iter().map(|i| items[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn marker_words_appear_at_their_rates_and_the_absent_word_never() {
        let mut rng = StdRng::seed_from_u64(7);
        let n = 20_000;
        let (mut rare, mut common) = (0, 0);
        for _ in 0..n {
            let case = case_text(&mut rng, "Anna Brown", 4);
            let all = format!("{} {}", case.subject, case.messages.join(" ")).to_lowercase();
            assert!(!all.contains(ABSENT_WORD));
            // Stemmed forms would count as hits and shift the rates.
            assert!(!all.contains("printers") && !all.contains("zebras"));
            rare += usize::from(all.contains(RARE_WORD));
            common += usize::from(all.contains(COMMON_WORD));
        }
        assert!((5..=40).contains(&rare), "rare word in {rare} of {n}");
        let share = common as f64 / n as f64;
        assert!((0.15..0.17).contains(&share), "common word in {share}");
    }

    #[test]
    fn cases_alternate_customer_and_agent_and_fill_every_slot() {
        let mut rng = StdRng::seed_from_u64(1);
        let case = case_text(&mut rng, "Anna Brown", 3);
        assert_eq!(case.messages.len(), 3);
        assert!(case.messages[0].ends_with("Anna Brown"));
        assert!(case.messages[1].starts_with("Hi Anna,"));
        assert!(case.messages[2].ends_with("Anna"));
        let text = format!("{} {}", case.subject, case.messages.join(" "));
        assert!(!text.contains('{'), "unfilled slot: {text}");
        assert_eq!(case_text(&mut rng, "Anna Brown", 0).messages.len(), 1);
    }
}
