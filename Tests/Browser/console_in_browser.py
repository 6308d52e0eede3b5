#!/usr/bin/env python3
"""Runs a whole incident through the commsd web console in Debian's Chromium
(headless, driven by Selenium through Debian's chromedriver; nothing is
downloaded), at a phone's width (390 px), as a crisis leader would: sign in,
compose a message from a template for one care home and watch the live
count, preview it, send it, watch the board reach 100 %, retry a dead
letter, supersede that message with a corrected one, cancel another with
notice, approve a message waiting for
them, answer a question, open the after-action report, and sign out. Then a
read-only person signs in and finds no way to send, and forms without the
CSRF token are refused. A screenshot of every page goes to --shots.

  console_in_browser.py --base URL --shots DIR --leader NAME:PASSWORD
      --reader NAME:PASSWORD --template NAME --var K=V ... --where TEXT
      --blank-where TEXT --approve-subject TEXT --inquiry-text TEXT

Prints one JSON object of what a person saw; exit 0 when every step could be
taken, 1 otherwise (the reason on stderr, with what was seen so far).
"""
import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from phone_browser import HEIGHT, WIDTH, loopback, phone


class Step(Exception):
    pass


class Console:
    def __init__(self, base, shots):
        self.base = base
        self.shots = shots
        self.seen = {"pages": {}}
        self.driver = phone("da-DK,da")
        self.driver.set_page_load_timeout(30)

    def quit(self):
        self.driver.quit()

    def wait(self, condition, what, timeout=30):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.25,
                                 ignored_exceptions=(WebDriverException,)).until(condition)
        except Exception as error:
            raise Step(f"waited {timeout} s for {what}: {error}") from None

    def open(self, path):
        self.driver.get(self.base + path)

    def shot(self, name):
        """A screenshot, and whether the page fits the phone's width."""
        os.makedirs(self.shots, exist_ok=True)
        width, viewport = self.driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        self.seen["pages"][name] = {"width": width, "viewport": viewport, "title": self.driver.title}
        # The whole page, not only the first screen: the window grows to its height.
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(WIDTH, min(max(height, HEIGHT), 6000))
        self.driver.save_screenshot(os.path.join(self.shots, f"console-{name}.png"))
        self.driver.set_window_size(WIDTH, HEIGHT)

    def settled(self):
        """The page loaded with its script (a button clicked before the
        deferred script ran would not ask first)."""
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete",
                  "the page to load")

    def click(self, css):
        self.settled()
        element = self.driver.find_element(By.CSS_SELECTOR, css)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()

    def accept_confirmation(self):
        """A button that cannot be undone asks first (window.confirm)."""
        def alert(driver):
            try:
                return driver.switch_to.alert
            except NoAlertPresentException:
                return False
        self.wait(alert, "the confirmation dialog", timeout=10).accept()

    def text(self, css):
        return " ".join(e.text for e in self.driver.find_elements(By.CSS_SELECTOR, css))

    def type(self, name, value):
        self.settled()
        field = self.driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)

    def sign_in(self, name, password):
        self.open("/console")
        self.wait(lambda d: "/console/sign-in" in d.current_url, "the sign-in page")
        self.type("name", name)
        self.type("password", password)
        self.shot(f"sign-in-{name}")
        self.click("form button[type=submit]")
        self.wait(lambda d: d.current_url.rstrip("/").endswith("/console"), "the board after signing in")

    def sign_out(self):
        self.click("header form button")
        self.wait(lambda d: "/console/sign-in" in d.current_url, "the sign-in page after signing out")

    def message_id(self):
        match = re.search(r"/console/messages/(msg_[0-9A-Z]+)", self.driver.current_url)
        if not match:
            raise Step(f"not on a message page: {self.driver.current_url}")
        return match.group(1)

    def cookie(self):
        cookie = self.driver.get_cookie("__Host-commsd-session")
        return cookie["value"] if cookie else ""

    def post(self, path, fields, session=True):
        """A form posted outside the browser (with the session's cookie):
        the status the console answers."""
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(self.base + path, data=data, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        if session:
            request.add_header("Cookie", f"__Host-commsd-session={self.cookie()}")
        try:
            with urllib.request.urlopen(request) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    def headers(self, path):
        request = urllib.request.Request(self.base + path)
        request.add_header("Cookie", f"__Host-commsd-session={self.cookie()}")
        with urllib.request.urlopen(request) as answer:
            return dict(answer.headers)

    def csrf(self):
        return self.driver.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value")


def leader_run(console, args):
    seen = console.seen
    name, password = args.leader.split(":", 1)
    console.sign_in(name, password)
    console.shot("board-empty")

    # Compose from the template, in its languages, for one care home.
    console.open("/console/compose")
    Select(console.driver.find_element(By.ID, "template-choice")).select_by_value(args.template)
    console.click("form[method=get] button")
    console.wait(lambda d: d.find_elements(By.NAME, "var." + args.var[0].split("=")[0]),
                 "the template's variables")
    # Where the Send button is on the page before the live count first answers, and after: a
    # count that moved it would move it under a finger on its way to another button.
    def send_at(driver):
        return driver.execute_script("return window.scrollY + "
                                     "document.querySelector('button[value=send]').getBoundingClientRect().top")
    console.settled()
    send_before = send_at(console.driver)
    for pair in args.var:
        key, value = pair.split("=", 1)
        console.type("var." + key, value)
    console.type("where", args.where)
    def counted(driver):
        found = driver.find_elements(By.CSS_SELECTOR, "#reach-live [data-reach]")
        return found and found[0].get_attribute("data-reach")
    console.wait(counted, "the live count")
    seen["send_moved_px"] = round(send_at(console.driver) - send_before)
    seen["live_count"] = int(console.driver.find_element(
        By.CSS_SELECTOR, "#reach-live [data-reach]").get_attribute("data-reach"))
    seen["live_text"] = console.text("#reach-live")
    console.shot("compose")
    console.click("button[value=preview]")
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".preview"), "the previews")
    seen["previews"] = [e.get_attribute("lang") + " " + e.find_element(By.CSS_SELECTOR, ".meta").text
                        for e in console.driver.find_elements(By.CSS_SELECTOR, ".preview")]
    console.shot("preview")
    console.click("button[value=send]")
    console.accept_confirmation()
    console.wait(lambda d: "/console/messages/msg_" in d.current_url, "the sent message's page")
    seen["sent"] = console.message_id()
    seen["sent_notice"] = console.text(".notice")
    console.shot("message")

    # The board follows it to 100 % (its script fetches the live part).
    console.open("/console")
    card = f"article[data-message='{seen['sent']}']"
    console.wait(lambda d: (lambda cells: cells and all(c.text == "100 %" for c in cells))(
        d.find_elements(By.CSS_SELECTOR, f"{card} td.pct")), "the board to show 100 %", timeout=60)
    seen["board_reach"] = [c.text for c in console.driver.find_elements(By.CSS_SELECTOR, f"{card} td.pct")]
    console.shot("board")

    # A blank message to another home, where one contact fails for good.
    console.open("/console/compose")
    console.type("subject.da", "Vagtplan for weekenden")
    console.type("body.da", "Weekendens vagtplan er lagt på intranettet.")
    console.type("subject.en", "Weekend rota")
    console.type("body.en", "The weekend rota is on the intranet.")
    console.click("input[name=audiences][value=staff]")
    console.type("where", args.blank_where)
    console.click("button[value=send]")
    console.accept_confirmation()
    console.wait(lambda d: "/console/messages/msg_" in d.current_url, "the second message's page")
    seen["blank"] = console.message_id()
    # The dead letter appears; retry it.
    def dead_letter(driver):
        driver.refresh()
        return driver.find_elements(By.CSS_SELECTOR, "form[action$='/retry'] input[name=delivery]")
    console.wait(dead_letter, "the dead letter", timeout=60)
    seen["dead_letter"] = console.driver.find_element(
        By.CSS_SELECTOR, "form[action$='/retry'] input[name=delivery]").get_attribute("value")
    console.shot("dead-letter")
    console.click("form[action$='/retry'] button")
    console.wait(lambda d: "notice=retried" in d.current_url, "the retry's notice")
    seen["retry_notice"] = console.text(".notice")
    # The retried copy reaches the pager (its row says so) before the correction.
    def retried(driver):
        driver.refresh()
        cells = driver.find_elements(
            By.CSS_SELECTOR, f"tr[data-delivery='{seen['dead_letter']}'] td:nth-child(4)")
        return cells and cells[-1].text.startswith("delivered")
    console.wait(retried, "the retried copy to be delivered", timeout=60)

    # Correct the second message: supersede it with a better text.
    console.open(f"/console/messages/{seen['blank']}")
    console.click("a[href*='supersedes=']")
    console.wait(lambda d: d.find_elements(By.NAME, "subject.da"), "the form to supersede")
    seen["supersede_prefilled"] = console.driver.find_element(
        By.NAME, "subject.da").get_attribute("value")
    console.type("subject.da", "Vagtplan for weekenden (rettet)")
    console.type("body.da", "Weekendens vagtplan er rettet: se intranettet.")
    console.shot("supersede")
    console.click("button[value=send]")
    console.accept_confirmation()
    console.wait(lambda d: "/console/messages/msg_" in d.current_url
                 and seen["blank"] not in d.current_url, "the correction's page")
    seen["corrected"] = console.message_id()
    seen["corrected_supersedes"] = console.text("main p.meta a")

    # Cancel the first message, with a notice to those who got it.
    console.open(f"/console/messages/{seen['sent']}")
    console.type("reason", "Forbuddet er ophævet")
    console.click("form[action$='/cancel'] button")
    console.accept_confirmation()
    console.wait(lambda d: "notice=cancelled" in d.current_url, "the cancellation's notice")
    seen["cancel_notice"] = console.text(".notice")
    seen["cancelled_tag"] = console.text(".tag.cancelled")

    # Approve what waits for this person.
    console.open("/console/approvals")
    console.shot("approvals")
    link = console.wait(lambda d: [a for a in d.find_elements(By.CSS_SELECTOR, "article h3 a")
                                   if args.approve_subject in a.text], "the message awaiting approval")
    link[0].click()
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "form[action$='/approve']"), "the approval form")
    seen["approved"] = console.message_id()
    console.click("form[action$='/approve'] button[type=submit]")
    console.wait(lambda d: "notice=approved" in d.current_url, "the approval's notice")
    seen["approve_notice"] = console.text(".notice")

    # Answer the question in the inbox.
    console.open("/console/inbox")
    console.shot("inbox")
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "article[data-inquiry] h3 a"), "the inquiry")
    seen["inquiry_listed"] = console.text("article[data-inquiry] p[dir]")
    console.click("article[data-inquiry] h3 a")
    console.type("text", args.answer)
    console.shot("inquiry")
    console.click("form[action$='/answer'] button")
    console.wait(lambda d: "notice=answered" in d.current_url, "the answer's notice")
    seen["answer_notice"] = console.text(".notice")

    # Bad input is refused by the field, as the CLI refuses it.
    console.open("/console/compose")
    console.type("subject.da", "Uden modtagere")
    console.type("body.da", "Tekst")
    console.type("where", "unit")
    console.click("button[value=preview]")
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".field-error .error"), "the field's error")
    seen["bad_where"] = console.text(".field-error .error")
    console.type("where", "")
    console.click("button[value=send]")
    console.accept_confirmation()
    console.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".field-error .error"), "the audiences' error")
    seen["no_audience"] = console.text(".field-error .error")
    seen["no_audience_field"] = console.driver.find_element(
        By.CSS_SELECTOR, ".field-error").get_attribute("class")
    console.shot("compose-error")

    # A draft to finish later.
    console.open("/console/compose")
    console.type("subject.da", "Udkast: besøgstider")
    console.type("body.da", "Besøgstiderne ændres fra mandag.")
    console.click("input[name=audiences][value=relatives]")
    console.click("button[value=draft]")
    console.wait(lambda d: "notice=draft-saved" in d.current_url, "the draft's notice")
    seen["drafts"] = console.text("article[data-draft] h3")
    console.shot("drafts")

    # The board keeps the card at the top of the screen in its place when a message comes in
    # above it (its live part is fetched every 5 s): a tap meant for that card lands on it. The
    # new one is scheduled two days ahead, so nobody receives it during this run.
    console.open("/console")
    console.settled()
    cards = console.driver.find_elements(By.CSS_SELECTOR, "#live article[data-message]")
    if len(cards) < 2:
        raise Step(f"the board shows {len(cards)} message(s); 2 are needed to scroll to the second")
    anchor = f"#live article[data-message='{cards[1].get_attribute('data-message')}']"
    console.driver.execute_script(
        "window.scrollBy(0, arguments[0].getBoundingClientRect().top - 120)", cards[1])
    def card_top(driver):
        return driver.execute_script(
            "return document.querySelector(arguments[0]).getBoundingClientRect().top", anchor)
    before = card_top(console.driver)
    release = time.strftime("%Y-%m-%dT08:00", time.localtime(time.time() + 2 * 86400))
    seen["board_post_status"] = console.post("/console/compose", {
        "csrf": console.csrf(), "action": "send", "subject.da": "Nyt på tavlen", "body.da": "Kommer senere.",
        "audiences": "relatives", "not_before": release})
    console.wait(lambda d: "Nyt på tavlen" in console.text("#live article h3"), "the new message on the board")
    seen["board_scrolled"] = round(console.driver.execute_script("return window.scrollY"))
    seen["board_anchor_moved_px"] = round(card_top(console.driver) - before)

    # The after-action report of the first message, in the console's frame.
    console.open(f"/console/messages/{seen['sent']}/report")
    seen["report_heading"] = console.text(".report-frame h1")
    console.shot("report")

    # The strict policy is on every page; forms need the session's token.
    headers = console.headers("/console")
    seen["csp"] = headers.get("Content-Security-Policy", "")
    seen["no_csrf_status"] = console.post(f"/console/messages/{seen['corrected']}/cancel",
                                          {"reason": "forged"})
    seen["wrong_csrf_status"] = console.post(f"/console/messages/{seen['corrected']}/cancel",
                                             {"reason": "forged", "csrf": "x" * 43})
    console.sign_out()
    seen["signed_out_status"] = console.post(f"/console/messages/{seen['corrected']}/cancel",
                                             {"reason": "after sign-out", "csrf": "x" * 43})


def reader_run(console, args):
    seen = console.seen
    name, password = args.reader.split(":", 1)
    console.sign_in(name, password)
    seen["reader_nav"] = [a.text for a in console.driver.find_elements(By.CSS_SELECTOR, "header nav a")]
    console.open(f"/console/messages/{seen['corrected']}")
    seen["reader_buttons"] = [b.text for b in console.driver.find_elements(By.CSS_SELECTOR, "main button")]
    console.shot("reader-message")
    console.open("/console/compose")
    seen["reader_compose"] = console.text("h1")
    csrf = console.driver.find_element(By.CSS_SELECTOR, "header input[name=csrf]").get_attribute("value")
    seen["reader_send_status"] = console.post("/console/compose", {
        "csrf": csrf, "subject.da": "Må ikke", "body.da": "Tekst", "audiences": "staff",
        "action": "send"})
    seen["reader_cancel_status"] = console.post(f"/console/messages/{seen['corrected']}/cancel", {
        "csrf": csrf, "reason": "Må ikke"})
    console.sign_out()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--shots", required=True)
    parser.add_argument("--leader", required=True)
    parser.add_argument("--reader", required=True)
    parser.add_argument("--template", required=True)
    parser.add_argument("--var", action="append", default=[])
    parser.add_argument("--where", required=True)
    parser.add_argument("--blank-where", required=True)
    parser.add_argument("--approve-subject", required=True)
    parser.add_argument("--answer", required=True)
    args = parser.parse_args()
    if not loopback(args.base):
        print("only loopback addresses", file=sys.stderr)
        return 1
    console = Console(args.base, args.shots)
    started = time.monotonic()
    try:
        leader_run(console, args)
        reader_run(console, args)
    except Step as step:
        try:
            console.shot("failure")
        except Exception:
            pass
        print(f"step failed: {step}; on {console.driver.current_url}", file=sys.stderr)
        try:
            main = console.driver.find_element(By.TAG_NAME, "main").text
            print(f"the page said: {main[:1500]}", file=sys.stderr)
        except Exception:
            pass
        print(json.dumps(console.seen, ensure_ascii=False))
        return 1
    finally:
        console.seen["seconds"] = round(time.monotonic() - started, 1)
        console.quit()
    print(json.dumps(console.seen, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
