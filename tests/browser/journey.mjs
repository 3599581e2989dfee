// The main journey of a call in a real browser (Debian's Chromium, driven by playwright-core):
// an applicant builds a consortium and submits; two clusters label the project; a reviewer
// scores; an officer proposes funding and another approves. Run by the Rust integration test
// `browser::the_main_journey_in_chromium`, which starts the server and creates the accounts;
// it passes them as JSON in POLES_JOURNEY.
import { chromium } from "playwright-core";

const cfg = JSON.parse(process.env.POLES_JOURNEY);
const base = cfg.base;
const fail = (msg) => { console.error("journey failed: " + msg); process.exit(1); };

const browser = await chromium.launch({
  executablePath: cfg.chromium,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

/** A fresh browser profile signed in as `email`. */
async function as(email) {
  const context = await browser.newContext({ locale: "en-GB" });
  const page = await context.newPage();
  await page.goto(`${base}/login?lang=en`);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', cfg.password);
  await Promise.all([page.waitForURL(/\/account/), page.click('form.stack button[type="submit"]')]);
  return page;
}

/** Clicks something that submits a form, and waits for the page it leads to. */
async function submit(page, target) {
  await Promise.all([page.waitForEvent("framenavigated"), target.click()]);
  await page.waitForLoadState("load");
}

async function expectText(page, text, what) {
  const body = await page.textContent("body");
  if (!body.includes(text)) fail(`${what}: "${text}" not on ${page.url()}`);
}

try {
  // The applicant finds the call and starts a draft.
  const lead = await as(cfg.partners[0].email);
  await lead.goto(`${base}/calls/${cfg.call}?lang=en`);
  await lead.getByText("Apply to this call", { exact: true }).click();
  await lead.fill('input[name="acronym"]', "BROWSER");
  await lead.fill('input[name="title"]', "Driven in Chromium");
  await Promise.all([lead.waitForURL(/\/applications\/\d+/), lead.getByRole("button", { name: "Create the draft", exact: true }).click()]);
  const appUrl = lead.url().split("?")[0];
  const appId = appUrl.split("/").pop();

  for (const p of cfg.partners.slice(1)) {
    // The partner is chosen by its name among the suggestions shown as one types.
    await lead.fill('#invite-form input[name="organisation"]', p.name);
    await lead.click(`.suggestions button[data-value="${p.organisation}"]`);
    await submit(lead, lead.locator("#invite-form").getByRole("button", { name: "Invite", exact: true }));
  }
  // Each partner answers on the application's page; the lead enters the budgets.
  for (const p of cfg.partners) {
    const page = p === cfg.partners[0] ? lead : await as(p.email);
    await page.goto(`${appUrl}?lang=en`);
    const answer = page.locator(`form[action^="/applications/${appId}/partners/${p.organisation}/answer"]`);
    if ((await answer.count()) === 0) fail(`no answer form for ${p.email} on ${page.url()}:\n` + (await page.content()).slice(0, 3000));
    await answer.locator('select[name="declared_kind"]').selectOption(p.kind);
    await submit(page, answer.locator('button[value="yes"]'));
    await lead.goto(`${appUrl}?lang=en`);
    const budget = lead.locator(`form[action^="/applications/${appId}/partners/${p.organisation}/budget"]`);
    await budget.locator('input[name="staff"]').fill("400000");
    await budget.locator('input[name="equipment"]').fill("100000");
    await budget.locator('input[name="rd_commune"]').fill("35238"); // Rennes: Brittany, the lead pôle's region
    await submit(lead, budget.locator('button[type="submit"]'));
  }
  for (const [cluster, isLead] of [[cfg.clusters[0].slug, true], [cfg.clusters[1].slug, false]]) {
    await lead.fill('input[name="cluster"]', cluster);
    if (isLead) await lead.check('input[name="lead"]');
    await submit(lead, lead.getByRole("button", { name: "Ask for the label", exact: true }));
  }
  await expectText(lead, "not eligible", "before the labels");

  // Two clusters label it.
  for (const c of cfg.clusters) {
    const m = await as(c.manager);
    await m.goto(`${appUrl}?lang=en`);
    const form = m.locator(`form[action^="/applications/${appId}/labelling/${c.slug}"]`);
    await form.locator('select[name="labelled"]').selectOption("yes");
    await form.locator('input[name="reasons"]').fill("Strong consortium");
    await submit(m, form.locator('button[type="submit"]'));
  }
  await lead.goto(`${appUrl}?lang=en`);
  await expectText(lead, "— eligible", "after the labels");
  await submit(lead, lead.getByRole("button", { name: "Submit the project", exact: true }));
  await expectText(lead, "submitted", "after submission");

  // A reviewer scores; an officer proposes; another approves.
  const o1 = await as(cfg.officers[0]);
  await o1.goto(`${appUrl}?lang=en`);
  await o1.fill('input[name="reviewer"]', cfg.reviewer.email);
  await submit(o1, o1.getByRole("button", { name: "Assign", exact: true }));
  const r = await as(cfg.reviewer.email);
  await r.goto(`${appUrl}?lang=en`);
  await r.fill('input[name="score_1"]', "8");
  await r.fill('textarea[name="comment_1"]', "Convincing plan");
  await submit(r, r.getByRole("button", { name: "Submit the review", exact: true }));
  await expectText(r, "Your review is submitted", "after the review");
  await o1.goto(`${appUrl}?lang=en`);
  await o1.fill('input[name="amount_state"]', "300000");
  await o1.fill('input[name="amount_region"]', "150000");
  await submit(o1, o1.getByRole("button", { name: "Propose funding", exact: true }));
  const o2 = await as(cfg.officers[1]);
  await o2.goto(`${appUrl}?lang=en`);
  await submit(o2, o2.getByRole("button", { name: "Approve", exact: true }));
  await o2.goto(`${appUrl}?lang=en`);
  await expectText(o2, "selected", "after the approval");
  await o2.screenshot({ path: cfg.screenshot, fullPage: true });
  console.log(`journey ok: application ${appId} selected`);

  // The officer sees budgets and caps, and records relief for the lead company: a record
  // above its de minimis is refused with the reason.
  await o1.goto(`${base}/budgets?lang=en&year=2015`);
  await expectText(o1, "Programme budgets and relief caps", "budgets page");
  if ((await o1.locator("svg.chart").count()) < 4) fail("budget charts missing");
  const relief = async (amount) => {
    await o1.goto(`${base}/budgets?lang=en&year=2015`);
    const form = o1.locator('form#relief');
    // The company is chosen by its name among the suggestions.
    await form.locator('input[name="organisation"]').fill(cfg.partners[0].name);
    await o1.click(`form#relief .suggestions button[data-value="${cfg.partners[0].organisation}"]`);
    await form.locator('select[name="scheme"]').selectOption("rd_zone_tax");
    await form.locator('input[name="granted_on"]').fill("2015-03-01");
    await form.locator('input[name="amount"]').fill(amount);
    await submit(o1, form.getByRole("button", { name: "Record (refused if a cap would be broken)", exact: true }));
  };
  await relief("150000");
  await expectText(o1, "Recorded:", "relief recorded");
  await relief("60000");
  await expectText(o1, "De minimis cap per company", "relief refused by the de minimis cap");

  // A company tries the simulator: open the day before the R&D-zone relief closed, closed
  // the day it closed.
  const visitor = await (await browser.newContext({ locale: "fr-FR" })).newPage();
  await visitor.goto(`${base}/simulator?lang=en`);
  await visitor.fill('input[name="postcode"]', "38000");
  await visitor.fill('input[name="start"]', "2009-11-16");
  await submit(visitor, visitor.getByRole("button", { name: "Simulate", exact: true }));
  await expectText(visitor, "Company of the R&D zone taking part in an approved project", "zone relief open");
  if ((await visitor.locator("svg.chart rect").count()) < 3) fail("simulator chart missing");
  await visitor.fill('input[name="start"]', "2009-11-17");
  await submit(visitor, visitor.getByRole("button", { name: "Simulate", exact: true }));
  await expectText(visitor, "Closed to new entrants since 2009-11-17", "zone relief closed");
  // The same company in 2026: the 2007 and 2018 calls are listed as closed, not offered,
  // and today's research tax credit is computed.
  await visitor.fill('input[name="start"]', "2026-03-16");
  await visitor.fill('input[name="rd_staff_costs"]', "600000");
  await submit(visitor, visitor.getByRole("button", { name: "Simulate", exact: true }));
  await expectText(visitor, "Closed on 2018-12-31", "2018 call closed for 2026");
  await expectText(visitor, "Research tax credit (CIR)", "CIR computed for 2026");
  if ((await visitor.locator('select[name="call"] option[value="fui-25"]').count()) !== 0) fail("closed call offered");
  console.log("journey ok: budgets, relief caps and simulator");
} catch (e) {
  fail(String(e && e.stack || e));
} finally {
  await browser.close();
}
