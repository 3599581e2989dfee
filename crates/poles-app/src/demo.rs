//! The demo's workflow: on a demo database's first start, a call open that day and a past
//! session, a dozen applications of invented organisations at every stage (draft, labelled,
//! submitted, withdrawn, under review, proposed, decided, paid, rejected, ineligible), so that
//! the worklists, the ranking, the optimiser and the follow-up are alive at once.
//!
//! Every step goes through the use cases, in the name of the demo's accounts, so the demo
//! holds nothing the interface could not have produced (and the audit trail says who did
//! what). The calls and organisations are flagged fictional: every page that shows them says
//! so and the open data leaves them out. Dates are relative to the day of first start.

use crate::accounts::{self, RoleInput};
use crate::applications::{self, Answer, Budget, CreateApplication, Decision, NewApplication};
use crate::calls::{self, NewCall};
use crate::followup::{self, ClaimDecision, ClaimInput, MilestoneInput, ScheduleLine};
use crate::selection::{self, Envelope, Score, SelectionSettings};
use crate::{App, AppError, Caller, Origin, Result};
use poles_core::calls::Costs;
use poles_core::model::{Criterion, FundingLine};
use poles_core::status::PaymentKind;
use poles_core::transitions::ApplicationAction;
use poles_core::{Date, OrgKind};
use poles_store::demo::{self as store, FictionalOrganisation};

/// A demo account: its password when it was created now (shown once), else `None`.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub email: String,
    pub role: String,
    pub password: Option<String>,
}

/// What the workflow wrote.
#[derive(Debug, Clone, Default)]
pub struct Workflow {
    pub accounts: Vec<DemoAccount>,
    pub calls: Vec<String>,
    pub applications: usize,
}

/// The labelling pôle of the demo's projects (its manager is a demo account).
const CLUSTER: &str = "minalogic";
/// Grenoble, Lyon and Chambéry: in Minalogic's region (Auvergne-Rhône-Alpes, 84).
const COMMUNES: [&str; 3] = ["38185", "69123", "73065"];
pub const OPEN_CALL: &str = "demo-open-call";
pub const PAST_CALL: &str = "demo-past-session";

/// The invented organisations: (name, short name, kind).
const ORGANISATIONS: [(&str, &str, OrgKind); 8] = [
    ("Alpivision Capteurs SAS", "Alpivision", OrgKind::Sme),
    (
        "Dauphiné Microsystèmes SA",
        "Dauphiné Micro",
        OrgKind::LargeCompany,
    ),
    ("Isère Photonique SARL", "Isère Photonique", OrgKind::Sme),
    (
        "Laboratoire des matériaux alpins",
        "LMA",
        OrgKind::PublicResearch,
    ),
    (
        "Rhône Robotique Industrie",
        "Rhône Robotique",
        OrgKind::MidSize,
    ),
    (
        "Institut savoyard de l'énergie",
        "ISE",
        OrgKind::PublicResearch,
    ),
    ("Vercors Logiciels SAS", "Vercors Logiciels", OrgKind::Sme),
    (
        "Belledonne Semiconducteurs",
        "Belledonne Semi",
        OrgKind::LargeCompany,
    ),
];

/// How far an application goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// A partner has not answered its invitation.
    Inviting,
    /// Consortium and budgets complete, no label asked.
    Budgeted,
    /// A label asked of the pôle, not decided.
    LabelAsked,
    /// Labelled, ready to submit.
    Labelled,
    Submitted,
    Withdrawn,
    /// A reviewer is assigned and has not scored.
    UnderReview,
    Reviewed,
    /// A funding proposal waits for its second officer.
    Proposed,
    /// Funding decided; the consortium agreement is not signed yet.
    Decided,
    /// Finalised, an advance paid, a milestone reached.
    Paid,
    Rejected,
    Ineligible,
}

/// (acronym, title, lead and partners by index in [`ORGANISATIONS`], costs per partner in
/// euros, stage).
type Spec = (&'static str, &'static str, &'static [usize], i64, Stage);

const OPEN: [Spec; 6] = [
    (
        "NEIGE",
        "Capteurs autonomes pour la mesure du manteau neigeux",
        &[0, 3, 1],
        400_000,
        Stage::Inviting,
    ),
    (
        "PHOTOSOL",
        "Photonique intégrée pour l'inspection de panneaux solaires",
        &[2, 3, 7],
        350_000,
        Stage::Budgeted,
    ),
    (
        "ROBOFAB",
        "Cobots reconfigurables pour ateliers de sous-traitance",
        &[4, 5, 6],
        450_000,
        Stage::LabelAsked,
    ),
    (
        "GRAPHENE-A",
        "Encres conductrices au graphène pour l'électronique imprimée",
        &[0, 3, 1],
        500_000,
        Stage::Labelled,
    ),
    (
        "SOBRIETE",
        "Logiciel de pilotage énergétique des sites industriels",
        &[6, 5, 4],
        300_000,
        Stage::Submitted,
    ),
    (
        "LIDAR-M",
        "Lidar compact pour la surveillance des versants",
        &[0, 2, 3],
        380_000,
        Stage::Withdrawn,
    ),
];

const PAST: [Spec; 7] = [
    (
        "CRISTAL",
        "Substrats semi-conducteurs recyclés",
        &[7, 3, 0],
        600_000,
        Stage::UnderReview,
    ),
    (
        "VISIO-Q",
        "Contrôle qualité par vision hyperspectrale",
        &[2, 5, 4],
        420_000,
        Stage::Reviewed,
    ),
    (
        "HYDROGENE-V",
        "Électrolyseurs compacts pour vallées industrielles",
        &[1, 5, 6],
        700_000,
        Stage::Proposed,
    ),
    (
        "MICROFLU",
        "Puces microfluidiques pour le diagnostic rapide",
        &[0, 3, 7],
        500_000,
        Stage::Decided,
    ),
    (
        "COBALT-0",
        "Batteries sans cobalt pour la mobilité légère",
        &[4, 3, 1],
        650_000,
        Stage::Paid,
    ),
    (
        "TRACE",
        "Traçabilité des pièces par marquage laser",
        &[6, 5, 2],
        250_000,
        Stage::Rejected,
    ),
    (
        // No research organisation: submitted, then declared ineligible.
        "SOLO",
        "Plateforme logicielle pour la maintenance prédictive",
        &[6, 0],
        200_000,
        Stage::Ineligible,
    ),
];

/// Loads the workflow into a demo database that has none (once, whichever server gets there
/// first); `None` when there is nothing to do. `today` sets the calls' dates.
pub async fn load(app: &App, today: Date) -> Result<Option<Workflow>> {
    if !store::claim_workflow(&app.db).await? {
        return Ok(None);
    }
    let mut out = Workflow::default();
    let account = |email: &str, role: &str, scope: Option<String>| {
        (email.to_string(), role.to_string(), scope)
    };
    let mut people = vec![
        account("admin@demo.poles.invalid", "admin", None),
        account("officer@demo.poles.invalid", "programme_officer", None),
        account("officer2@demo.poles.invalid", "programme_officer", None),
        account(
            "region84@demo.poles.invalid",
            "region_officer",
            Some("84".into()),
        ),
        account(
            "minalogic@demo.poles.invalid",
            "cluster_manager",
            Some(CLUSTER.into()),
        ),
        account("reviewer@demo.poles.invalid", "reviewer", None),
    ];
    if let Some(x) = accounts::demo_organisation(app, "xerox").await? {
        people.push(account(
            "xerox@demo.poles.invalid",
            "organisation_member",
            Some(x.to_string()),
        ));
    }
    let mut ids = Vec::new();
    for (email, role, scope) in people {
        ids.push(ensure_user(app, &mut out, &email, &role, scope, true).await?);
    }
    let (officer, officer2, manager, reviewer) = (
        caller(app, ids[1]).await?,
        caller(app, ids[2]).await?,
        caller(app, ids[4]).await?,
        caller(app, ids[5]).await?,
    );

    // The invented organisations, each with a member who acts for it.
    let mut orgs = Vec::new();
    let mut members = Vec::new();
    for (k, (name, short, kind)) in ORGANISATIONS.iter().enumerate() {
        let id = store::fictional_organisation(
            &app.db,
            &FictionalOrganisation {
                name: (*name).into(),
                short_name: (*short).into(),
                kind: *kind,
                region_code: "84".into(),
            },
        )
        .await?;
        // The first organisation's member is the applicant a visitor signs in as.
        let email = if k == 0 {
            "applicant@demo.poles.invalid".to_string()
        } else {
            format!("member{k}@demo.poles.invalid")
        };
        let user = ensure_user(
            app,
            &mut out,
            &email,
            "organisation_member",
            Some(id.to_string()),
            k == 0,
        )
        .await?;
        orgs.push(id);
        members.push(caller(app, user).await?);
    }
    let people = People {
        orgs: &orgs,
        members: &members,
        officer: &officer,
        officer2: &officer2,
        manager: &manager,
        reviewer: &reviewer,
        reviewer_id: ids[5],
    };

    // The past session is replayed while open, then dated in the past.
    open_call(
        app,
        &officer,
        PAST_CALL,
        (
            "Session de démonstration précédente (fictive)",
            "Previous demonstration session (fictional)",
        ),
        (today.add_days(-200), today.add_days(1), today.add_days(60)),
    )
    .await?;
    // Its labels are dated before its (past) deadline, as they were given.
    let labelled_on = today.add_days(-125);
    for spec in PAST {
        build(app, &people, PAST_CALL, spec, today, Some(labelled_on)).await?;
        out.applications += 1;
    }
    store::date_fictional_call(
        &app.db,
        PAST_CALL,
        today.add_days(-200),
        today.add_days(-110),
        today.add_days(-60),
    )
    .await?;
    open_call(
        app,
        &officer,
        OPEN_CALL,
        (
            "Appel à projets de démonstration, ouvert (fictif)",
            "Demonstration call for projects, open (fictional)",
        ),
        (today.add_days(-30), today.add_days(45), today.add_days(120)),
    )
    .await?;
    for spec in OPEN {
        build(app, &people, OPEN_CALL, spec, today, None).await?;
        out.applications += 1;
    }
    out.calls = vec![OPEN_CALL.into(), PAST_CALL.into()];
    Ok(Some(out))
}

/// The actors of the workflow.
struct People<'a> {
    orgs: &'a [i64],
    members: &'a [Caller],
    officer: &'a Caller,
    officer2: &'a Caller,
    manager: &'a Caller,
    reviewer: &'a Caller,
    reviewer_id: i64,
}

/// The user with this address, created with a random password when missing (kept in `out`,
/// with the password when `show` and created now).
async fn ensure_user(
    app: &App,
    out: &mut Workflow,
    email: &str,
    role: &str,
    scope: Option<String>,
    show: bool,
) -> Result<i64> {
    let parsed = poles_core::auth::Email::parse("email", email)?;
    let (id, password) = match poles_store::accounts::user_id_by_email(&app.db, &parsed).await? {
        Some(id) => (id, None),
        None => {
            let password = accounts::random_password();
            let role = RoleInput {
                role: role.into(),
                scope,
            };
            let id = accounts::create_user_from_cli(app, email, &password, &role).await?;
            (id, Some(password))
        }
    };
    if show {
        out.accounts.push(DemoAccount {
            email: email.into(),
            role: role.into(),
            password,
        });
    }
    Ok(id)
}

/// Acting as a user without a session, as the command line does.
async fn caller(app: &App, user_id: i64) -> Result<Caller> {
    let actor = poles_store::accounts::actor_of(&app.db, user_id)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    Ok(Caller {
        actor,
        session: None,
        origin: Origin {
            request_id: Some("demo-workflow".into()),
            ..Default::default()
        },
    })
}

/// Opens a fictional call from the FUI-25 rules, with criteria and envelopes.
async fn open_call(
    app: &App,
    officer: &Caller,
    slug: &str,
    (name_fr, name_en): (&str, &str),
    (opens, deadline, decision): (Date, Date, Date),
) -> Result<()> {
    calls::create(
        app,
        officer,
        &NewCall {
            slug: slug.into(),
            name_fr: name_fr.into(),
            name_en: name_en.into(),
            programme: "Démonstration de Pôles (fictif) / Pôles demonstration (fictional)".into(),
            opens_on: Some(opens.to_string()),
            deadline: Some(deadline.to_string()),
            decision_on: Some(decision.to_string()),
            from_call: "fui-25".into(),
            source: "Invented for the demonstration of Pôles, with the rules of the 25th FUI call (2018); its dates follow the day the demo was first started".into(),
        },
    )
    .await?;
    store::mark_call_fictional(&app.db, slug).await?;
    let criterion = |position, fr: &str, en: &str, weight_bp| Criterion {
        position,
        name_fr: fr.into(),
        name_en: en.into(),
        weight_bp,
    };
    calls::put_criteria(
        app,
        officer,
        slug,
        &[
            criterion(1, "Innovation", "Innovation", 4000),
            criterion(2, "Retombées économiques", "Economic impact", 3500),
            criterion(3, "Qualité du consortium", "Consortium quality", 2500),
        ],
    )
    .await?;
    let envelope = |funder: &str, euros: i64| Envelope {
        funder: funder.into(),
        envelope_cents: Some(euros * 100),
        committed_cents: 0,
        budget: Some(String::new()),
    };
    selection::set_settings(
        app,
        officer,
        slug,
        &SelectionSettings {
            envelopes: vec![envelope("state", 2_500_000), envelope("region", 2_000_000)],
            two_approvals_above_cents: None,
        },
    )
    .await
}

/// One application, taken as far as its stage; its label dated `labelled_on` when given.
async fn build(
    app: &App,
    p: &People<'_>,
    call: &str,
    spec: Spec,
    today: Date,
    labelled_on: Option<Date>,
) -> Result<()> {
    let (acronym, title, team, euros, stage) = spec;
    let lead = &p.members[team[0]];
    let id = applications::create(
        app,
        lead,
        call,
        &CreateApplication {
            lead_organisation_id: p.orgs[team[0]],
            application: NewApplication {
                acronym: acronym.into(),
                title: title.into(),
                summary_fr: Some(format!("{title} (projet fictif de la démonstration).")),
                summary_en: Some("A fictional project of the demonstration.".into()),
                keywords: None,
                duration_months: Some(36),
            },
        },
    )
    .await?;
    for &k in &team[1..] {
        applications::invite(app, lead, id, p.orgs[k]).await?;
    }
    for (n, &k) in team.iter().enumerate() {
        if stage == Stage::Inviting && n == team.len() - 1 {
            break; // the last partner has not answered yet
        }
        let kind = ORGANISATIONS[k].2;
        applications::answer(
            app,
            &p.members[k],
            id,
            p.orgs[k],
            &Answer {
                accept: true,
                declared_kind: Some(kind.as_str().into()),
                independent: true,
                marginal_cost: false,
            },
        )
        .await?;
        applications::set_budget(
            app,
            lead,
            id,
            p.orgs[k],
            &Budget {
                costs: Costs {
                    staff: euros * 70,
                    equipment: euros * 20,
                    subcontracting: euros * 10,
                    overheads: 0,
                },
                rd_commune: Some(COMMUNES[n % COMMUNES.len()].into()),
            },
        )
        .await?;
    }
    if stage <= Stage::Budgeted {
        return Ok(());
    }
    applications::request_label(app, lead, id, CLUSTER, true).await?;
    if stage == Stage::LabelAsked {
        return Ok(());
    }
    applications::decide(
        app,
        p.manager,
        id,
        CLUSTER,
        &Decision {
            labelled: true,
            reasons: Some("Projet au cœur de la feuille de route du pôle.".into()),
            decided_on: labelled_on.map(|d| d.to_string()),
        },
    )
    .await?;
    if stage == Stage::Labelled {
        return Ok(());
    }
    applications::submit(app, lead, id).await?;
    let reason = |r: &str| applications::StatusReason {
        reason: Some(r.into()),
    };
    match stage {
        Stage::Withdrawn => {
            applications::withdraw(
                app,
                lead,
                id,
                &reason("Le partenaire industriel a revu ses priorités."),
            )
            .await?;
            return Ok(());
        }
        Stage::Ineligible => {
            applications::decide_status(
                app,
                p.officer,
                id,
                ApplicationAction::DeclareIneligible,
                &reason("Le consortium ne compte aucun organisme de recherche ou de formation."),
            )
            .await?;
            return Ok(());
        }
        Stage::Rejected => {
            applications::decide_status(
                app,
                p.officer,
                id,
                ApplicationAction::Reject,
                &reason("Caractère innovant insuffisant au regard de l'état de l'art."),
            )
            .await?;
            return Ok(());
        }
        _ => {}
    }
    if stage == Stage::Submitted {
        return Ok(());
    }
    selection::assign(app, p.officer, id, p.reviewer_id).await?;
    if stage == Stage::UnderReview {
        return Ok(());
    }
    let marks: &[i64] = match stage {
        Stage::Reviewed => &[6, 7, 5],
        Stage::Proposed => &[8, 7, 8],
        Stage::Decided => &[9, 8, 7],
        _ => &[8, 8, 9],
    };
    let scores: Vec<Score> = marks
        .iter()
        .enumerate()
        .map(|(k, &score)| Score {
            criterion: k as i64 + 1,
            score,
            comment: None,
        })
        .collect();
    selection::submit_review(app, p.reviewer, id, &scores).await?;
    if stage == Stage::Reviewed {
        return Ok(());
    }
    // Each funder's line at 90% of the aid the rules compute for it, in whole thousands.
    let aid = applications::get(app, p.officer, id).await?.aid;
    let lines: Vec<FundingLine> = aid
        .by_funder
        .iter()
        .map(|f| FundingLine {
            funder: f.funder.clone(),
            amount_cents: f.cents * 9 / 10 / 100_000 * 100_000,
        })
        .collect();
    let proposal = selection::propose(app, p.officer, id, &lines).await?;
    if stage == Stage::Proposed {
        return Ok(());
    }
    selection::approve(app, p.officer2, proposal).await?;
    if stage == Stage::Decided {
        return Ok(());
    }
    followup::agreement(app, lead, id, "signed").await?;
    followup::finalise(app, p.officer, id).await?;
    let lead_org = p.orgs[team[0]];
    let state = lines
        .iter()
        .find(|l| l.funder == "state")
        .map_or(0, |l| l.amount_cents);
    let advance = state / 3 / 100_000 * 100_000;
    followup::schedule(
        app,
        p.officer,
        id,
        &[
            ScheduleLine {
                organisation_id: lead_org,
                funder: "state".into(),
                kind: PaymentKind::Advance,
                due_on: today.add_days(-20),
                amount_cents: advance,
            },
            ScheduleLine {
                organisation_id: lead_org,
                funder: "state".into(),
                kind: PaymentKind::Final,
                due_on: today.add_days(3 * 365),
                amount_cents: state - advance,
            },
        ],
    )
    .await?;
    let claim = followup::claim(
        app,
        lead,
        id,
        lead_org,
        &ClaimInput {
            funder: "state".into(),
            kind: "advance".into(),
            amount_cents: advance,
            expenses_cents: 0,
            statement: "Avance à la signature de l'accord de consortium.".into(),
        },
    )
    .await?;
    // Two officers: one proposes the payment, the other releases it.
    for officer in [p.officer, p.officer2] {
        followup::decide_claim(
            app,
            officer,
            claim,
            &ClaimDecision {
                pay: true,
                paid_on: None,
                reason: None,
            },
        )
        .await?;
    }
    let milestone = followup::add_milestone(
        app,
        lead,
        id,
        &MilestoneInput {
            title: "Démonstrateur de laboratoire".into(),
            due_on: today.add_days(180).to_string(),
        },
    )
    .await?;
    followup::milestone_done(
        app,
        lead,
        id,
        milestone,
        &followup::MilestoneDone {
            done_on: today.add_days(-5).to_string(),
            evidence: Some("Rapport d'essais (fictif)".into()),
        },
    )
    .await?;
    Ok(())
}
