//! Read models of the registry: what the atlas pages and the JSON API show. Serialisable and
//! described for OpenAPI; filled by the store, rendered by the web layer.

use crate::status::ProjectRole;
use crate::{Date, LabelStatus, Money, OrgKind, Tier};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A list page: the rows asked for and how many match in all.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Named {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Sector {
    pub code: String,
    pub name_en: String,
    pub name_fr: String,
    /// One of the press kit's five sectors (others classify the remaining pôles).
    pub press_kit: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClusterSummary {
    pub slug: String,
    pub name: String,
    pub official_name: Option<String>,
    /// Tier of the most recent label that had one.
    pub label: Option<Tier>,
    /// Status after the most recent label decision.
    pub status: Option<LabelStatus>,
    /// INSEE codes of today's regions.
    pub regions: Vec<String>,
    /// Sector codes.
    pub sectors: Vec<String>,
    /// Number of member organisations recorded.
    pub members: i64,
    /// One of the press kit's 16 leading clusters.
    pub leading: bool,
    /// The programme phase of the latest label decision (`I` … `V`).
    pub phase: Option<String>,
    /// Every phase the cluster holds a label decision in, oldest first.
    pub phases: Vec<String>,
    /// The tier of the first phase (2005-2008), as the 2007 press kit gives it.
    pub tier_2005: Option<Tier>,
    /// The head office's INSEE commune code, where the sources name one commune.
    pub head_office: Option<String>,
    /// The head office's town: the commune's name, or the place as the sources write it.
    pub city: Option<String>,
    pub website: Option<String>,
    /// The latest published member count.
    pub published_members: Option<i64>,
    /// The pôle this record was merged into or renamed as, when it no longer exists alone.
    pub succeeded_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Alias {
    pub name: String,
    /// `press_kit_en`, `acronym`, `former`, …
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Label {
    pub tier: Option<Tier>,
    pub status: LabelStatus,
    pub decision_date: Option<Date>,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
    pub legal_act: Option<String>,
    pub note: Option<String>,
    pub source: String,
    /// The programme phase the decision belongs to (`I` … `V`).
    pub phase: Option<String>,
    /// The source's title and publisher, where recorded (the URL is `source`).
    pub source_title: Option<String>,
    pub source_publisher: Option<String>,
}

/// A phase of the label policy: its period, the decision that opened it and its source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Phase {
    pub code: String,
    pub name_en: String,
    pub name_fr: String,
    pub starts: Date,
    pub ends: Date,
    pub decided: Option<Date>,
    pub source: SourceRef,
}

/// A public source as a reader cites it: title, publisher, date, address.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceRef {
    pub title: String,
    pub publisher: Option<String>,
    /// As the source gives it: a year, a month or a day (`2023`, `2023-03`, `2023-03-27`).
    pub date: Option<String>,
    pub url: Option<String>,
}

/// A size a pôle or the press published (members, projects labelled), with its date.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishedSize {
    /// `members` or `projects_labelled`.
    pub kind: String,
    pub value: i64,
    /// `about` or `more_than` where the source rounds.
    pub qualifier: Option<String>,
    /// As the source gives it: a year, a month or a day.
    pub as_of: Option<String>,
    pub source: SourceRef,
}

/// A renaming or a merger between two records of the registry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Succession {
    /// The other record's slug and name.
    pub slug: String,
    pub name: String,
    /// `renamed` or `merged`.
    pub kind: String,
    /// As the source gives it: a year, a month or a day.
    pub date: Option<String>,
    pub source: SourceRef,
}

/// Where a pôle's head office is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeadOffice {
    /// The INSEE commune code, where the sources name one commune.
    pub commune: Option<String>,
    /// The commune's name, or the place as the sources write it.
    pub city: String,
    pub department: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    pub organisation_id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub country: Option<String>,
    pub role: String,
    pub since: Option<Date>,
    pub source: String,
    pub quote: Option<String>,
}

/// One side of a partnership: a cluster of the programme or a foreign cluster or network.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Party {
    /// `cluster` or `foreign`.
    pub kind: String,
    pub slug: String,
    pub name: String,
    pub country: Option<String>,
    /// For foreign parties: `cluster`, `network`, `region` or `organisation`.
    pub entity: Option<String>,
    /// For foreign parties: their website, where recorded.
    pub website: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Partnership {
    pub id: i64,
    pub a: Party,
    pub b: Party,
    /// `mou`, `joint_project`, `network_membership`, `international_partnership`…
    pub kind: String,
    pub start_date: Option<Date>,
    pub scope: Option<String>,
    pub source: String,
    /// Proposed by `a` to `b` (a pôle, which confirms or declines), confirmed, declined,
    /// ended.
    pub status: crate::status::PartnershipStatus,
    pub end_date: Option<Date>,
    /// The agreement's text or its announcement.
    pub document_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewsItem {
    pub id: i64,
    pub cluster: Option<String>,
    pub published_on: Option<Date>,
    pub title_en: String,
    pub title_fr: String,
    pub body_en: Option<String>,
    pub body_fr: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClusterDetail {
    pub slug: String,
    pub name: String,
    pub official_name: Option<String>,
    pub aliases: Vec<Alias>,
    pub label: Option<Tier>,
    pub status: Option<LabelStatus>,
    pub leading: bool,
    pub regions: Vec<Named>,
    /// The regions of 2007 (before the 2015 reform), as the sources give them.
    pub regions_2007: Vec<Named>,
    pub sectors: Vec<Sector>,
    pub theme_fr: Option<String>,
    pub specialty_en: Option<String>,
    /// The theme in English as today's sources give it.
    pub theme_en: Option<String>,
    pub website: Option<String>,
    /// Where the website's address was read.
    pub website_source: Option<String>,
    pub head_office: Option<HeadOffice>,
    /// A public contact: a postal address, a generic address or a contact page.
    pub contact: Option<String>,
    /// Where the contact was read.
    pub contact_source: Option<String>,
    /// Sizes the pôle or the press published, latest first.
    pub published: Vec<PublishedSize>,
    /// The pôle this record was merged into or renamed as.
    pub succeeded_by: Option<Succession>,
    /// The records merged into this pôle or renamed as it.
    pub predecessors: Vec<Succession>,
    pub description_fr: Option<String>,
    pub description_en: Option<String>,
    pub governance: Option<String>,
    pub note: Option<String>,
    pub sources: Vec<String>,
    pub label_history: Vec<Label>,
    /// The members that chose to be listed publicly.
    pub members: Vec<Member>,
    /// Members that chose not to be listed: counted, not named.
    pub unlisted_members: i64,
    /// Organisations that were members and left (those that chose to be listed), newest
    /// departure first.
    pub former_members: Vec<FormerMember>,
    pub partnerships: Vec<Partnership>,
    /// Projects in which a member takes part or that the cluster labelled.
    pub projects: i64,
    pub news: Vec<NewsItem>,
    pub version: i64,
}

/// A membership that ended.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormerMember {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub since: Option<String>,
    pub until: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganisationSummary {
    pub id: i64,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: OrgKind,
    pub country: Option<String>,
    pub projects: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipOf {
    pub cluster: String,
    pub cluster_name: String,
    pub role: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganisationDetail {
    pub id: i64,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: OrgKind,
    pub country: Option<String>,
    pub region: Option<Named>,
    pub naf_code: Option<String>,
    pub headcount_band: Option<String>,
    pub siren: Option<String>,
    pub siret: Option<String>,
    pub vat: Option<String>,
    pub pic: Option<String>,
    pub cordis_id: Option<String>,
    pub website: Option<String>,
    pub competences: Option<String>,
    /// What it offers partners, and what it looks for, in its members' words.
    pub offer: Option<String>,
    pub seek: Option<String>,
    pub source: String,
    pub memberships: Vec<MembershipOf>,
    pub project_count: i64,
    /// The most recent projects (at most 100).
    pub projects: Vec<ProjectSummary>,
    pub version: i64,
    /// Invented for the demo's workflow: shown as such, never in the open data.
    pub fictional: bool,
}

impl OrganisationDetail {
    /// How complete the profile a partner reads is: the share filled in and what to add.
    pub fn completeness(&self) -> (u8, Vec<&'static str>) {
        let french = self.country.as_deref() == Some("FR");
        let mut fields = vec![
            ("offer", self.offer.is_some()),
            ("seek", self.seek.is_some()),
            ("competences", self.competences.is_some()),
            ("website", self.website.is_some()),
            ("headcount_band", self.headcount_band.is_some()),
        ];
        // The SIREN and the NAF code are French registers'.
        if french {
            fields.push(("siren", self.siren.is_some()));
            fields.push(("naf_code", self.naf_code.is_some()));
        }
        crate::types::profile_completeness(&fields)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectSummary {
    pub id: i64,
    pub acronym: String,
    pub title: Option<String>,
    pub programme: Option<String>,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub total_cost: Option<Money>,
    pub public_funding: Option<Money>,
    pub partners: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectPartner {
    pub organisation_id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub country: Option<String>,
    pub role: ProjectRole,
    pub cost: Option<Money>,
    pub funding: Option<Money>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectDetail {
    pub id: i64,
    pub acronym: String,
    pub title: Option<String>,
    pub programme: Option<String>,
    pub call: Option<String>,
    pub topic: Option<String>,
    pub topic_title: Option<String>,
    pub funding_scheme: Option<String>,
    pub status: Option<String>,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub total_cost: Option<Money>,
    pub public_funding: Option<Money>,
    pub source: String,
    pub partners: Vec<ProjectPartner>,
    /// Slugs of the clusters that labelled the project or count a partner as member.
    pub clusters: Vec<Named>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Figure {
    pub key: String,
    pub label_en: String,
    pub label_fr: String,
    pub amount: Money,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    /// `year` (per year of the period) or `period` (over the whole period).
    pub per: String,
    pub funder: Option<String>,
    /// `K` press kit only, `C` confirmed by a public source, `U` unconfirmed.
    pub certainty: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    pub id: i64,
    pub name_en: String,
    pub name_fr: String,
    /// `YYYY-MM-DD`, or `YYYY-MM` when the source gives only the month.
    pub starts_on: Option<String>,
    pub place: Option<String>,
    pub description_en: Option<String>,
    pub description_fr: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Survey {
    pub statement_en: String,
    pub statement_fr: String,
    pub percent: i64,
    pub population_en: Option<String>,
    pub population_fr: Option<String>,
    pub pollster: Option<String>,
    /// `YYYY-MM-DD`, or `YYYY-MM` when the source gives only the month.
    pub conducted: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TextItem {
    pub position: i64,
    pub title_en: Option<String>,
    pub title_fr: Option<String>,
    pub text_en: String,
    pub text_fr: String,
    pub source: String,
}

/// Everything the programme states about itself: money, label criteria, polls.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgrammeFacts {
    pub figures: Vec<Figure>,
    pub label_criteria: Vec<TextItem>,
    pub success_factors: Vec<TextItem>,
    pub benefits: Vec<TextItem>,
    pub surveys: Vec<Survey>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    /// `cluster`, `organisation` or `project`.
    pub kind: String,
    /// Slug of a cluster, id of an organisation or project.
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub subtitle: Option<String>,
    /// Relevance (BM25, thousandths), comparable within a kind only.
    pub score: i64,
}

/// The results of a search: the page asked for, the matches in groups by kind (pôles first),
/// and the counts of each facet's values among the matches.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResults {
    pub query: String,
    /// The page of matches asked for: of the kind asked for, or of every kind (pôles first).
    pub items: Vec<SearchHit>,
    /// How many matches the filters leave, of the kind asked for or of every kind.
    pub total: i64,
    /// Per kind (`cluster`, `organisation`, `project`, in that order): how many match and the
    /// best few.
    pub groups: Vec<SearchGroup>,
    /// `country`, `region`, `sector` and `org_kind`: each value's count among the matches
    /// (with the other facets' filters applied).
    pub facets: Vec<SearchFacet>,
    /// Words of the query that matched nothing as typed and were read as a near word.
    pub corrections: Vec<SearchCorrection>,
    /// Whether every result holds every word of the query; when fewer than ten do, those
    /// come first and the results holding most of the words follow.
    pub every_word: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchGroup {
    pub kind: String,
    pub total: i64,
    pub items: Vec<SearchHit>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchFacet {
    /// `country`, `region`, `sector` or `org_kind`.
    pub field: String,
    pub values: Vec<FacetCount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetCount {
    /// A country code, region code, sector code or organisation kind.
    pub value: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchCorrection {
    pub typed: String,
    pub read_as: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegionSummary {
    pub code: String,
    pub name: String,
    pub clusters: i64,
    pub organisations: i64,
    pub former_regions: Vec<Named>,
}

/// Counts shown on the home page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    pub clusters: i64,
    pub labelled_2005: i64,
    pub organisations: i64,
    pub projects: i64,
    pub partnerships: i64,
    pub countries: i64,
}

/// A commune with its department and region (postcode → commune → department → region).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Commune {
    /// INSEE code.
    pub code: String,
    pub name: String,
    pub department: String,
    pub region: String,
}

/// A funder of a call and its envelope, when known.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallFunder {
    pub funder: String,
    pub envelope: Option<Money>,
    pub source: String,
    /// The programme budget line the envelope draws on.
    pub budget: Option<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct Criterion {
    #[serde(default)]
    pub position: i64,
    pub name_fr: String,
    pub name_en: String,
    pub weight_bp: i64,
}

/// A call for projects with its rule set.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Call {
    pub slug: String,
    pub name_fr: String,
    pub name_en: String,
    pub programme: String,
    pub opens_on: Option<Date>,
    /// Filing deadline, which is also the labelling deadline.
    pub deadline: Option<Date>,
    pub decision_on: Option<Date>,
    pub rule_set: crate::calls::RuleSet,
    /// True once a submitted project was checked against the rule set: it can no longer change.
    pub rule_set_frozen: bool,
    pub funders: Vec<CallFunder>,
    pub criteria: Vec<Criterion>,
    pub source: String,
    /// Invented for the demo's workflow (and so are its applications): shown as such on
    /// every page, never in the open data.
    pub fictional: bool,
}

/// An amount proposed or decided for one funder of a call.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FundingLine {
    pub funder: String,
    pub amount_cents: i64,
}
