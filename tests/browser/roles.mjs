// Each role's journey through the demo's workflow in a real browser (Debian's Chromium,
// driven by playwright-core), every step a click or a typed name in a page: the applicant
// submits, reopens and resubmits, and withdraws another draft; the pôle's manager labels
// from its queue; the reviewer scores from theirs; an officer rejects one application (in
// French) and is refused a proposal above the computed aid before proposing within it,
// which a second officer approves; the region's officer decides the region's share alone.
// Run by the Rust test `browser::each_role_finishes_its_journey_in_chromium`, which starts
// a server, loads the demo's workflow and passes its accounts as JSON in POLES_JOURNEY.
import { chromium } from "playwright-core";

const cfg = JSON.parse(process.env.POLES_JOURNEY);
const base = cfg.base;
const fail = (msg) => { console.error("journey failed: " + msg); process.exit(1); };

const browser = await chromium.launch({
  executablePath: cfg.chromium,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

/** A fresh browser profile signed in as `email` (the demo's password for it). */
async function as(email, lang = "en") {
  const context = await browser.newContext({ locale: lang === "fr" ? "fr-FR" : "en-GB" });
  const page = await context.newPage();
  await page.goto(`${base}/login?lang=${lang}`);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', cfg.passwords[email]);
  await Promise.all([page.waitForURL(/\/account/), page.click('form.stack button[type="submit"]')]);
  return page;
}

/** Clicks something that submits a form, and waits for the page it leads to. */
async function submit(page, target) {
  await Promise.all([page.waitForEvent("framenavigated"), target.click()]);
  await page.waitForLoadState("load");
}

/** Follows the link named `text`. */
async function follow(page, text) {
  await submit(page, page.getByRole("link", { name: text, exact: true }).first());
}

async function expectText(page, text, what) {
  const body = await page.textContent("body");
  if (!body.includes(text)) fail(`${what}: "${text}" not on ${page.url()}\n` + body.slice(0, 2000));
}

async function noHorizontalScroll(page, what) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (wide > 1) fail(`${what}: ${wide}px wider than the screen at ${page.url()}`);
}

/** A visitor signs up (part "signup"); after the Rust test has read the mail, they verify
 * the address, sign in, ask to act for an organisation, an admin approves, and they start a
 * draft (part "member"). */
async function newcomer() {
  const page = await (await browser.newContext({ locale: "en-GB" })).newPage();
  if (cfg.part === "signup") {
    await page.goto(`${base}/signup?lang=en`);
    await page.fill('input[name="email"]', cfg.newcomer.email);
    await page.fill('input[name="display_name"]', "Nouvelle Venue");
    await page.fill('input[name="password"]', cfg.newcomer.password);
    await submit(page, page.getByRole("button", { name: "Create the account", exact: true }));
    await expectText(page, "A mail is on its way to this address", "after signing up");
    console.log("journey ok: signed up");
    return;
  }
  await page.goto(cfg.newcomer.verify);
  await submit(page, page.getByRole("button", { name: "Activate the account", exact: true }));
  await page.goto(`${base}/login?lang=en`);
  await page.fill('input[name="email"]', cfg.newcomer.email);
  await page.fill('input[name="password"]', cfg.newcomer.password);
  await Promise.all([page.waitForURL(/\/account/), page.click('form.stack button[type="submit"]')]);
  await follow(page, "My organisations");
  await page.fill('input[name="organisation"]', cfg.newcomer.organisation);
  await submit(page, page.getByRole("button", { name: "Ask", exact: true }));
  await expectText(page, "Request sent", "after asking to join");
  const admin = await as("admin@demo.poles.invalid");
  await admin.goto(`${base}/memberships?lang=en`);
  await submit(admin, admin.getByRole("button", { name: "Approve", exact: true }).first());
  await expectText(admin, "Decision recorded", "after the approval");
  // A member now: they apply to the open call.
  await page.goto(`${base}/calls/demo-open-call?lang=en`);
  await page.getByText("Apply to this call", { exact: true }).click();
  await page.fill('input[name="acronym"]', "NOUVEAU");
  await page.fill('input[name="title"]', "Premier projet de la nouvelle venue");
  await Promise.all([page.waitForURL(/\/applications\/\d+/), page.getByRole("button", { name: "Create the draft", exact: true }).click()]);
  await expectText(page, "NOUVEAU", "the draft");
  console.log("journey ok: newcomer");
}

try {
  if (cfg.part) { await newcomer(); process.exit(0); }
  // The applicant finds their applications, submits one, reopens and resubmits it.
  const applicant = await as("applicant@demo.poles.invalid");
  await applicant.goto(`${base}/applications?lang=en`);
  await expectText(applicant, "fictional (demo)", "the demo's applications are marked");
  await follow(applicant, "GRAPHENE-A");
  await submit(applicant, applicant.getByRole("button", { name: "Submit the project", exact: true }));
  await expectText(applicant, "submitted", "after submission");
  await submit(applicant, applicant.getByRole("button", { name: "Reopen to change and resubmit", exact: true }));
  await expectText(applicant, "draft", "after reopening");
  await submit(applicant, applicant.getByRole("button", { name: "Submit the project", exact: true }));
  if ((await applicant.locator("ol.submissions li").count()) !== 2) fail("both submissions are kept");
  // …and withdraws a draft whose partner never answered, with a reason.
  await applicant.goto(`${base}/applications?lang=en`);
  await follow(applicant, "NEIGE");
  await applicant.fill("form.withdraw textarea[name=reason]", "Le partenaire ne répond pas.");
  await submit(applicant, applicant.getByRole("button", { name: "Withdraw the application", exact: true }));
  await expectText(applicant, "Withdrawn", "after withdrawal");
  await expectText(applicant, "Le partenaire ne répond pas.", "the reason is shown");
  console.log("journey ok: applicant");

  // The pôle's manager labels from the labelling queue.
  const manager = await as("minalogic@demo.poles.invalid");
  await manager.goto(`${base}/clusters/minalogic/labelling-requests?lang=en`);
  await follow(manager, "ROBOFAB");
  const decide = manager.locator('form.decide');
  await decide.locator('select[name="labelled"]').selectOption("yes");
  await decide.locator('input[name="reasons"]').fill("Au cœur de la feuille de route");
  await submit(manager, decide.locator('button[type="submit"]'));
  await expectText(manager, "labelled", "after the label");
  console.log("journey ok: cluster manager");

  // The reviewer scores from their queue.
  const reviewer = await as("reviewer@demo.poles.invalid");
  await reviewer.goto(`${base}/reviews?lang=en`);
  await follow(reviewer, "CRISTAL");
  for (const k of [1, 2, 3]) await reviewer.fill(`input[name="score_${k}"]`, String(5 + k));
  await submit(reviewer, reviewer.getByRole("button", { name: "Submit the review", exact: true }));
  await expectText(reviewer, "Your review is submitted", "after the review");
  console.log("journey ok: reviewer");

  // An officer, in French, finds the open call's worklist and rejects an application.
  const officer = await as("officer@demo.poles.invalid", "fr");
  await officer.goto(`${base}/calls/demo-open-call?lang=fr`);
  await follow(officer, "Candidatures de l'appel");
  await follow(officer, "SOBRIETE");
  await officer.fill("form.reject textarea[name=reason]", "Le projet relève d'un autre dispositif.");
  await submit(officer, officer.locator("form.reject button[type=submit]"));
  await expectText(officer, "Rejeté", "after the rejection");
  await expectText(officer, "Le projet relève d'un autre dispositif.", "the reason is shown");
  // In the past session, a proposal above the aid is refused beside its field, then one
  // within the aid is proposed, and a second officer approves it.
  await officer.goto(`${base}/calls/demo-past-session/applications?lang=en`);
  await follow(officer, "VISIO-Q");
  const propose = officer.locator("form#propose");
  await propose.locator('input[name="amount_state"]').fill(String(cfg.visio.state_euros + 100000));
  await propose.locator('input[name="amount_region"]').fill("0");
  await submit(officer, propose.getByRole("button", { name: "Propose funding", exact: true }));
  await expectText(officer, "exceeds the aid the call's rules compute", "refused above the aid");
  const kept = await officer.locator('form#propose input[name="amount_state"]').inputValue();
  if (kept !== String(cfg.visio.state_euros + 100000)) fail(`the amount typed is kept: ${kept}`);
  if ((await officer.locator('form#propose input[aria-invalid="true"]').count()) !== 1) fail("the field at fault is marked");
  await officer.locator('form#propose input[name="amount_state"]').fill(String(cfg.visio.state_euros));
  await officer.locator('form#propose input[name="amount_region"]').fill(String(cfg.visio.region_euros));
  await submit(officer, officer.locator("form#propose").getByRole("button", { name: "Propose funding", exact: true }));
  const visio = officer.url().split("?")[0];
  const second = await as("officer2@demo.poles.invalid");
  await second.goto(`${visio}?lang=en`);
  await submit(second, second.getByRole("button", { name: "Approve", exact: true }));
  await expectText(second, "selected", "after the approval");
  console.log("journey ok: officers");

  // The region's officer decides the region's share of CRISTAL alone (the State's line is
  // not theirs); another officer approves; the project waits for the State's decision.
  const region = await as("region84@demo.poles.invalid");
  await region.goto(`${base}/calls/demo-past-session?lang=en`);
  await region.goto(`${base}/applications/${cfg.cristal}?lang=en`);
  if ((await region.locator('form#propose input[name="amount_state"]').count()) !== 0) fail("the State's line offered to the region");
  await region.locator('form#propose input[name="amount_region"]').fill("100000");
  await submit(region, region.locator("form#propose").getByRole("button", { name: "Propose funding", exact: true }));
  if ((await region.locator(".error-message, .error").count()) > 0) fail("the region's proposal refused: " + (await region.locator(".error-message, .error").first().textContent()));
  await second.goto(`${base}/applications/${cfg.cristal}?lang=en`);
  await submit(second, second.getByRole("button", { name: "Approve", exact: true }));
  if ((await second.locator(".error-message, .error").count()) > 0) fail("the approval refused: " + (await second.locator(".error-message, .error").first().textContent()));
  await expectText(second, "Region €100,000", "the region's share decided " + (await second.locator("ul.proposals").textContent()));
  await expectText(second, "approved", "the regional proposal approved");
  const status = await second.locator("h1 .tag").first().textContent();
  if (status.trim() !== "submitted") fail(`the region's share alone does not select the project: ${status}`);
  console.log("journey ok: region officer");

  // After the decision, in the follow-up page: the lead records the signed agreement, an
  // officer finalises and plans an advance, the lead claims it, one officer proposes the
  // payment and another releases it; the lead plans a milestone and records it reached.
  const fu = `${base}/applications/${cfg.microflu}/follow-up?lang=en`;
  await applicant.goto(`${base}/applications/${cfg.microflu}?lang=en`);
  await follow(applicant, "Follow-up: agreement, payments, milestones");
  await applicant.locator('form#agreement select[name="status"]').selectOption("signed");
  await submit(applicant, applicant.locator("form#agreement button[type=submit]"));
  await officer.goto(fu);
  await submit(officer, officer.getByRole("button", { name: "Finalise the project", exact: true }));
  await expectText(officer, "running", "after finalisation");
  await officer.locator('select[name="partner_0"]').selectOption({ label: "Alpivision Capteurs SAS" });
  await officer.locator('select[name="funder_0"]').selectOption("state");
  await officer.locator('select[name="kind_0"]').selectOption("advance");
  await officer.fill('input[name="due_0"]', cfg.today);
  await officer.fill('input[name="amount_0"]', "50000");
  await submit(officer, officer.getByRole("button", { name: "Save the schedule", exact: true }));
  await applicant.goto(fu);
  const claimForm = applicant.locator("form#claim");
  await claimForm.locator('select[name="funder"]').selectOption("state");
  await claimForm.locator('select[name="kind"]').selectOption("advance");
  await claimForm.locator('input[name="amount"]').fill("50000");
  await claimForm.locator('textarea[name="statement"]').fill("Avance à la signature.");
  await submit(applicant, claimForm.getByRole("button", { name: "Send the claim", exact: true }));
  await expectText(applicant, "claimed", "the claim is listed");
  await officer.goto(fu);
  await submit(officer, officer.getByRole("button", { name: "Propose the payment", exact: true }));
  await expectText(officer, "waiting for a second officer", "the payment waits for a second officer");
  await second.goto(fu);
  await submit(second, second.getByRole("button", { name: "Release the payment", exact: true }));
  await expectText(second, "paid", "the payment released");
  await applicant.goto(fu);
  await applicant.fill('form#milestone input[name="title"]', "Prototype");
  await applicant.fill('form#milestone input[name="due_on"]', cfg.today);
  await submit(applicant, applicant.getByRole("button", { name: "Add the milestone", exact: true }));
  await applicant.fill('ul.milestones input[name="done_on"]', cfg.today);
  await submit(applicant, applicant.getByRole("button", { name: "Milestone reached", exact: true }));
  await expectText(applicant, "reached on " + cfg.today, "the milestone reached");
  console.log("journey ok: follow-up to payment");

  // On a phone, the worklist and the application page do not scroll sideways.
  await second.setViewportSize({ width: 390, height: 844 });
  await second.goto(`${base}/calls/demo-past-session/applications?lang=en`);
  await noHorizontalScroll(second, "worklist on a phone");
  console.log("journey ok: every role");
} catch (e) {
  fail(String(e && e.stack || e));
} finally {
  await browser.close();
}
