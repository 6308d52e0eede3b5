/// What a reader sees for a message's kind, in their language.
///
/// The crisis reports asked that readers can tell at a glance whether a
/// message is a new alert, an update, honest process information ("this is
/// what we know, and what we do not know yet") or the all-clear, so the label
/// is translated rather than shown as the raw `kind`.
public enum KindLabels {
  /// The label for `kind` in `language` (`da`, `en-GB`, …); English when the
  /// language has no labels.
  ///
  /// Danish and English are the municipality's own wording. The others are
  /// best effort and should be read by a native speaker before they are
  /// relied on; Somali has only the two labels we are sure of and falls back
  /// to English for `process` and `all-clear`.
  public static func label(_ kind: MessageKind, language: String) -> String {
    let labels = labels(for: language) ?? labels(for: LanguageTag.primary(language)) ?? english
    return labels[kind] ?? english[kind]!
  }

  /// "updates #N" in `language`: what a reader who got bulletin N sees on
  /// the message that supersedes it. Danish, English and German; English
  /// for the others.
  public static func updateLabel(_ bulletin: Int, language: String) -> String {
    switch LanguageTag.primary(language) {
    case "da": "opdaterer #\(bulletin)"
    case "de": "aktualisiert #\(bulletin)"
    default: "updates #\(bulletin)"
    }
  }

  /// The languages with their own labels.
  public static let languages = ["da", "en", "ar", "de", "pl", "so", "tr", "uk"]

  private typealias Labels = [MessageKind: String]

  private static func labels(for language: String) -> Labels? {
    switch language {
    case "da": danish
    case "en": english
    case "ar": arabic
    case "de": german
    case "pl": polish
    case "so": somali
    case "tr": turkish
    case "uk": ukrainian
    default: nil
    }
  }

  private static let danish: Labels = [
    .alert: "Varsel", .update: "Opdatering", .process: "Procesinformation", .allClear: "Afblæsning",
    .retraction: "Tilbagekaldelse", .inquiry: "Spørgsmål", .answer: "Svar",
    .approval: "Til godkendelse",
  ]
  private static let english: Labels = [
    .alert: "Alert", .update: "Update", .process: "Process information", .allClear: "All clear",
    .retraction: "Withdrawal", .inquiry: "Question", .answer: "Answer", .approval: "For approval",
  ]
  private static let arabic: Labels = [
    .alert: "تنبيه", .update: "تحديث", .process: "معلومات عن الوضع", .allClear: "انتهاء الخطر",
  ]
  private static let german: Labels = [
    .alert: "Warnung", .update: "Aktualisierung", .process: "Lageinformation",
    .allClear: "Entwarnung", .retraction: "Widerruf",
  ]
  private static let polish: Labels = [
    .alert: "Ostrzeżenie", .update: "Aktualizacja", .process: "Informacja o sytuacji",
    .allClear: "Odwołanie alarmu",
  ]
  private static let somali: Labels = [.alert: "Digniin", .update: "Cusboonaysiin"]
  private static let turkish: Labels = [
    .alert: "Uyarı", .update: "Güncelleme", .process: "Durum bilgisi", .allClear: "Tehlike geçti",
  ]
  private static let ukrainian: Labels = [
    .alert: "Попередження", .update: "Оновлення", .process: "Інформація про ситуацію",
    .allClear: "Відбій тривоги",
  ]
}
