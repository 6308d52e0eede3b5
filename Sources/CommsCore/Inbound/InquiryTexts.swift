import Foundation

/// The words commsd itself writes about questions: the acknowledgement to
/// the person who asked (in their language), and the handlers' copy (in
/// the municipality's default language, Danish or English).
///
/// Danish and English are the municipality's own wording; the other
/// acknowledgements are best effort, like `KindLabels`, and an audience
/// can replace any of them (`[audiences.NAME.inbound.acknowledgement]`).
public enum InquiryTexts {
  static let acknowledgements: [String: String] = [
    "da": "Tak. Vi har modtaget dit spørgsmål og svarer så hurtigt, vi kan.",
    "en": "Thank you. We have received your question and will answer as soon as we can.",
    "ar": "شكرًا. لقد استلمنا سؤالك وسنرد عليه في أقرب وقت ممكن.",
    "de": "Danke. Wir haben Ihre Frage erhalten und antworten so bald wie möglich.",
    "pl": "Dziękujemy. Otrzymaliśmy Twoje pytanie i odpowiemy najszybciej, jak to możliwe.",
    "tr": "Teşekkürler. Sorunuzu aldık ve en kısa sürede yanıtlayacağız.",
    "uk": "Дякуємо. Ми отримали ваше запитання і відповімо якнайшвидше.",
  ]

  static let englishAcknowledgement =
    "Thank you. We have received your question and will answer as soon as we can."
  static let englishSubject = "We have received your question"

  static let answerSubjects: [String: String] = [
    "da": "Svar på dit spørgsmål", "en": "Answer to your question", "ar": "رد على سؤالك",
    "de": "Antwort auf Ihre Frage", "pl": "Odpowiedź na Twoje pytanie",
    "tr": "Sorunuzun yanıtı", "uk": "Відповідь на ваше запитання",
  ]

  static let acknowledgementSubjects: [String: String] = [
    "da": "Vi har modtaget dit spørgsmål", "en": "We have received your question",
    "ar": "لقد استلمنا سؤالك", "de": "Wir haben Ihre Frage erhalten",
    "pl": "Otrzymaliśmy Twoje pytanie", "tr": "Sorunuzu aldık",
    "uk": "Ми отримали ваше запитання",
  ]

  /// The acknowledgement in `language` (the audience's own wording first,
  /// then the built-in one, then English), and the language it is in.
  public static func acknowledgement(_ language: String, routing: InboundRouting)
    -> (language: String, subject: String, text: String)
  {
    let primary = LanguageTag.primary(language)
    for tag in [language, primary] {
      if let own = routing.acknowledgement[tag] {
        return (tag, acknowledgementSubjects[primary] ?? englishSubject, own)
      }
      if let text = acknowledgements[tag], let subject = acknowledgementSubjects[tag] {
        return (tag, subject, text)
      }
    }
    return ("en", englishSubject, englishAcknowledgement)
  }

  /// An answer's subject in `language`: "Re: " and the question's own
  /// subject for an email, else "Answer to your question" in the language.
  public static func answerSubject(_ language: String, question: String?) -> String {
    if let question, !question.isEmpty {
      return question.lowercased().hasPrefix("re:") ? question : "Re: \(question)"
    }
    return answerSubjects[language] ?? answerSubjects[LanguageTag.primary(language)]
      ?? "Answer to your question"
  }

  /// The handlers' copy of `inquiry`: a subject that says who asks about
  /// what, and a body with the question, who asked, what it answers, and
  /// how to answer it. A reminder says how long it has waited.
  public static func forHandlers(
    _ inquiry: Inquiry, audienceName: String?, language: String, waited: Duration? = nil
  ) -> MessageContent {
    let danish = LanguageTag.primary(language) == "da"
    let who = inquiry.recipientName.map { "\($0) (\(inquiry.recipientID ?? ""))" } ?? inquiry.from
    let about = inquiry.bulletin.map { "\(audienceName ?? inquiry.audience ?? "") #\($0)" }
    var subject = danish ? "Spørgsmål fra \(who)" : "Question from \(who)"
    if let about { subject += danish ? " til \(about)" : " on \(about)" }
    if let waited {
      let hours = DurationText.format(waited)
      subject = (danish ? "Ubesvaret i \(hours): " : "Unanswered for \(hours): ") + subject
    }
    let received = SendTimeText.format(inquiry.receivedAt, language: danish ? "da" : "en")
    let channel =
      switch inquiry.channel {
      case .sms: "SMS"
      case .email: danish ? "e-mail" : "email"
      case .hook: "hook \(inquiry.source)"
      }
    var lines: [String] = []
    lines.append(
      danish
        ? "\(inquiry.id) modtaget \(received) som \(channel) fra \(inquiry.from)."
        : "\(inquiry.id) received \(received) by \(channel) from \(inquiry.from).")
    if let name = inquiry.recipientName {
      var person = "\(danish ? "Person" : "Person"): \(name) (\(inquiry.recipientID ?? ""))"
      if let unit = inquiry.unit { person += danish ? ", enhed \(unit)" : ", unit \(unit)" }
      person += danish ? ", sprog \(inquiry.language)" : ", language \(inquiry.language)"
      lines.append(person)
    } else {
      lines.append(
        danish
          ? "Afsenderen er ukendt for commsd (ikke i modtagerlisterne)."
          : "The sender is not known to commsd (not in the recipient lists).")
    }
    if let about, let message = inquiry.messageID {
      lines.append(danish ? "Svar på: \(about) (\(message))" : "Answers: \(about) (\(message))")
    }
    if let title = inquiry.subject, !title.isEmpty {
      lines.append((danish ? "Emne: " : "Subject: ") + title)
    }
    lines.append("")
    lines.append(inquiry.text)
    lines.append("")
    lines.append(
      (danish ? "Svar med: " : "Answer with: ")
        + "commsd inbox answer \(inquiry.id) --text \"…\"")
    return MessageContent(subject: subject, body: lines.joined(separator: "\n"))
  }
}
