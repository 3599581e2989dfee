// Partners in a real browser (Debian's Chromium, driven by playwright-core), in English: a
// foreign company finds partners by what they know, asks to join a pôle from its page as an
// organisation Pôles does not know yet, and gets the answer; the pôle's manager accepts it
// and adds members from a pasted list after its preview. Run by the Rust test
// `browser::a_foreign_company_joins_a_pole_and_a_manager_imports_members`, which starts the
// server, creates the accounts and passes them as JSON in POLES_JOURNEY.
import { chromium } from "playwright-core";

const cfg = JSON.parse(process.env.POLES_JOURNEY);
const base = cfg.base;
const fail = (msg) => { console.error("journey failed: " + msg); process.exit(1); };

const browser = await chromium.launch({
  executablePath: cfg.chromium,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function expectText(page, text, what) {
  const body = await page.textContent("body");
  if (!body.includes(text)) fail(`${what}: "${text}" not on ${page.url()}\n` + body.slice(0, 1500));
}

async function submit(page, target) {
  await Promise.all([page.waitForEvent("framenavigated"), target.click()]);
  await page.waitForLoadState("load");
}

try {
  // A foreign company's person, signed in (the join link asks for it and comes back).
  const context = await browser.newContext({ locale: "en-GB" });
  const p = await context.newPage();
  await p.goto(`${base}/clusters/${cfg.pole}?lang=en`);
  await submit(p, p.locator("#join-link"));
  if (!p.url().includes("/login")) fail("joining asks to sign in first: " + p.url());
  await p.fill('input[name="email"]', cfg.foreign);
  await p.fill('input[name="password"]', cfg.password);
  await submit(p, p.locator('form.stack button[type="submit"]'));
  if (!p.url().includes(`/clusters/${cfg.pole}/join`)) fail("back to the join form after signing in: " + p.url());

  // It first looks for partners by what they know, with the facets to narrow.
  await p.goto(`${base}/search?q=hydrogen&kind=organisation&lang=en`);
  if ((await p.locator("select[name=org_kind] option").count()) < 2) fail("no kind facet on the partner search");
  await expectText(p, "organisations", "partner search");

  // Then asks to join, as an organisation Pôles does not know yet, chosen by name.
  await p.goto(`${base}/clusters/${cfg.pole}/join?lang=en`);
  await p.check('input[name="organisation"][value="new"]');
  await p.fill('input[name="new_name"]', "Nordic Sensors AB");
  await p.selectOption('select[name="new_country"]', { label: "Sweden" });
  await p.selectOption('select[name="new_kind"]', "sme");
  await p.fill('textarea[name="message"]', "MEMS sensors; we look for French integrators.");
  await submit(p, p.getByRole("button", { name: "Send the request", exact: true }));
  await expectText(p, "waiting for the pôle", "the request is sent");

  // The pôle's manager accepts it.
  const mctx = await browser.newContext({ locale: "en-GB" });
  const m = await mctx.newPage();
  await m.goto(`${base}/login?lang=en`);
  await m.fill('input[name="email"]', cfg.manager);
  await m.fill('input[name="password"]', cfg.password);
  await submit(m, m.locator('form.stack button[type="submit"]'));
  await m.goto(`${base}/joining?lang=en`);
  const row = m.locator("tr.join-request", { hasText: "Nordic Sensors AB" });
  await submit(m, row.getByRole("button", { name: "Accept", exact: true }));
  await expectText(m, "The decision is recorded", "the decision");

  // The company sees the answer, and is listed.
  await p.goto(`${base}/joining?lang=en`);
  await expectText(p, "accepted", "the answer");
  await p.goto(`${base}/clusters/${cfg.pole}?lang=en`);
  await expectText(p, "Nordic Sensors AB", "the new member is listed");
  console.log("journey ok: a foreign company joined");

  // The manager adds members from a list: a preview, then all at once.
  await m.goto(`${base}/clusters/${cfg.pole}/members/import?lang=en`);
  await m.fill('textarea[name="csv"]', `${cfg.listed}\nNobody Such Company\n`);
  await submit(m, m.getByRole("button", { name: "Match the list", exact: true }));
  await expectText(m, "1 line(s) to fix", "the preview flags the unknown line");
  await m.fill('textarea[name="csv"]', `${cfg.listed}\n`);
  await submit(m, m.getByRole("button", { name: "Match the list", exact: true }));
  await submit(m, m.getByRole("button", { name: "Add these 1 members", exact: true }));
  await expectText(m, cfg.listed, "the imported member is listed");
  console.log("journey ok: members imported");
} catch (e) {
  fail(e.stack || String(e));
} finally {
  await browser.close();
}
