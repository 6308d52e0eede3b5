#!/usr/bin/env python3
"""Opens a commsd confirmation link in Debian's Chromium (headless, driven by
Selenium through Debian's chromedriver: nothing is downloaded), as a reader
on a phone would: takes a screenshot of the page, presses its button, takes
a screenshot of the answer, and prints what a person saw as one JSON line.

  confirm_in_browser.py --url URL --shots DIR [--name NAME] [--no-press]

Exit 0 when the page opened (and, unless --no-press, the button was pressed
and an answer page came); 1 otherwise, with the reason on stderr.
"""
import argparse
import json
import os
import sys

from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

from phone_browser import loopback, phone


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--shots", required=True, help="folder for the screenshots")
    parser.add_argument("--name", default="confirm")
    parser.add_argument("--no-press", action="store_true", help="only open the page")
    args = parser.parse_args()
    if not loopback(args.url):
        print("only loopback addresses", file=sys.stderr)
        return 1
    driver = phone()
    seen = {}
    try:
        driver.set_page_load_timeout(20)
        driver.get(args.url)
        seen["heading"] = driver.find_element(By.TAG_NAME, "h1").text
        seen["subject"] = " ".join(e.text for e in driver.find_elements(By.TAG_NAME, "h2"))
        os.makedirs(args.shots, exist_ok=True)
        driver.save_screenshot(os.path.join(args.shots, f"{args.name}-page.png"))
        buttons = driver.find_elements(By.CSS_SELECTOR, "form button")
        seen["button"] = buttons[0].text if buttons else None
        if not args.no_press:
            if not buttons:
                print(f"no button on the page: {seen}", file=sys.stderr)
                return 1
            before = seen["heading"]
            buttons[0].click()
            # The answer is a new page. While it replaces this one, Chromium
            # answers a query about the old page's elements with one error or
            # another (stale element, "node does not belong to the
            # document"): each poll finds the heading anew and any WebDriver
            # error is one more poll.
            wait = WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,))
            seen["answer"] = wait.until(
                lambda d: (lambda text: text if text and text != before else False)(
                    d.find_element(By.TAG_NAME, "h1").text))
            seen["note"] = " ".join(e.text for e in driver.find_elements(By.CLASS_NAME, "note"))
            driver.save_screenshot(os.path.join(args.shots, f"{args.name}-answer.png"))
    finally:
        driver.quit()
    print(json.dumps(seen, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
