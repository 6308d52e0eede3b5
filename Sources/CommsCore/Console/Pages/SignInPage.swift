/// The sign-in page: name and password, with the error above the form.
enum SignInPage {
  /// `oidcLabel`: the identity provider's button, when one is configured.
  static func render(
    words: Words, token: String, next: String, name: String, error: String?,
    oidcLabel: String? = nil
  ) -> Markup {
    let provider: Markup =
      oidcLabel.map { label in
        """
        <p><a class="button" id="oidc" href="/console/oidc/start?next=\(FormBody.encode(next))">\(label)</a></p>
        <p class="meta">\(words("Eller med en lokal konto:", "Or with a local account:"))</p>
        """
      } ?? ""
    return ConsoleFrame.page(
      words("Log ind", "Sign in"), words: words, caller: nil, section: .signIn,
      path: "/console/sign-in",
      main: """
        <div class="signin card">
        <h1>\(words("Log ind i commsd", "Sign in to commsd"))</h1>
        \(error.map { "<div class=\"alert\" role=\"alert\">\($0)</div>" as Markup })
        \(provider)
        <form class="stack" method="post" action="/console/sign-in">
        <input type="hidden" name="csrf" value="\(token)">
        <input type="hidden" name="next" value="\(next)">
        <label for="name">\(words("Brugernavn", "User name"))</label>
        <input type="text" id="name" name="name" value="\(name)" autocomplete="username" autocapitalize="none" spellcheck="false" required>
        <label for="password">\(words("Adgangskode", "Password"))</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required>
        <p><button type="submit">\(words("Log ind", "Sign in"))</button></p>
        </form>
        </div>
        """)
  }
}
