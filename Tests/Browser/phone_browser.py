"""Debian's Chromium, headless, as a phone (390 px wide), driven by Selenium
through Debian's chromedriver: nothing is downloaded. Shared by the browser
tests in this folder."""
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
WIDTH = 390
HEIGHT = 844


def phone(language=None):
    """A new browser at a phone's size; `language` (e.g. "da") is what it
    asks pages for (Accept-Language)."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 f"--window-size={WIDTH},{HEIGHT}", "--disable-gpu"):
        options.add_argument(flag)
    if language:
        options.add_argument(f"--lang={language.split(',')[0]}")
        options.add_experimental_option("prefs", {"intl.accept_languages": language})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_window_size(WIDTH, HEIGHT)
    return driver


def loopback(url):
    """Only addresses on this machine are opened."""
    return url.startswith("http://127.0.0.1:")
