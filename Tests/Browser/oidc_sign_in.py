#!/usr/bin/env python3
"""Signs in to the commsd console through an OpenID Connect provider, in
Debian's Chromium (headless, Selenium with Debian's chromedriver) at a
phone's width: the console's sign-in page, its identity-provider button,
the provider's own login form, and back. Prints what the person saw as
one JSON line; a screenshot of each page goes to --shots.

  oidc_sign_in.py --base URL --shots DIR --user NAME:PASSWORD --name SHOTNAME

Exit 0 when the round trip ended on a console page (signed in or
refused there); 1 otherwise, with the reason on stderr.
"""
import argparse
import json
import os
import sys

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from phone_browser import loopback, phone


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--shots", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    if not loopback(args.base):
        print("only loopback addresses", file=sys.stderr)
        return 1
    user, password = args.user.split(":", 1)
    driver = phone("da-DK,da")
    wait = WebDriverWait(driver, 30, ignored_exceptions=(WebDriverException,))
    seen = {}
    os.makedirs(args.shots, exist_ok=True)

    def shot(name):
        driver.save_screenshot(os.path.join(args.shots, f"{args.name}-{name}.png"))

    try:
        driver.get(args.base + "/console")
        wait.until(lambda d: d.find_elements(By.ID, "oidc"))
        seen["button"] = driver.find_element(By.ID, "oidc").text
        shot("console-sign-in")
        driver.find_element(By.ID, "oidc").click()
        # The provider's own login form.
        wait.until(lambda d: d.find_elements(By.NAME, "username"))
        seen["provider_url"] = driver.current_url.split("?")[0]
        driver.find_element(By.NAME, "username").send_keys(user)
        driver.find_element(By.NAME, "password").send_keys(password)
        shot("provider")
        driver.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
        wait.until(lambda d: d.current_url.startswith(args.base + "/console")
                   and d.execute_script("return document.readyState") == "complete")
        seen["url"] = driver.current_url
        seen["heading"] = driver.find_element(By.TAG_NAME, "h1").text
        seen["alert"] = " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, ".alert"))
        seen["nav"] = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "header nav a")]
        seen["signed_in_as"] = " ".join(
            b.text for b in driver.find_elements(By.CSS_SELECTOR, "header form button"))
        shot("after")
        if seen["nav"]:
            driver.find_element(By.CSS_SELECTOR, "header form button").click()
            wait.until(lambda d: "/console/sign-in" in d.current_url)
            seen["signed_out"] = True
    except Exception as error:
        print(f"failed: {error}; on {driver.current_url}; saw {seen}", file=sys.stderr)
        return 1
    finally:
        driver.quit()
    print(json.dumps(seen, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
