/// How a CAP alert maps onto commsd's `Priority`, and how readers are told
/// that it is not real.
extension CAPInfo {
  /// The priority this info asks for, from urgency and severity alone:
  ///
  /// | urgency \ severity | Extreme | Severe | Moderate | Minor  | Unknown |
  /// |--------------------|---------|--------|----------|--------|---------|
  /// | Immediate          | flash   | flash  | urgent   | normal | urgent  |
  /// | Expected           | urgent  | urgent | urgent   | normal | urgent  |
  /// | Future             | normal  | normal | normal   | normal | normal  |
  /// | Past               | normal  | normal | normal   | normal | normal  |
  /// | Unknown            | normal  | normal | normal   | normal | normal  |
  ///
  /// Flash is kept for what needs action now and is at least Severe, since
  /// flash is never held or capped. An Immediate or Expected event of
  /// Unknown severity is urgent, not normal: not knowing how bad a threat
  /// that is here or coming soon is no reason to digest or delay it.
  /// Future, Past and Unknown urgency, and Minor severity, can wait for
  /// normal dosing. Certainty does not lower it (an "Unlikely" Immediate
  /// Extreme threat still has to reach people), and `bulk` is never used.
  public var commsPriority: Priority {
    switch (urgency, severity) {
    case (.immediate, .extreme), (.immediate, .severe): .flash
    case (_, .minor): .normal
    case (.immediate, _), (.expected, _): .urgent
    case (.future, _), (.past, _), (.unknown, _): .normal
    }
  }
}

extension CAPAlert {
  /// The highest priority of its infos; `normal` for an alert without info
  /// (an Ack, or a Cancel that only names what it cancels). Status does not
  /// change it: an exercise is delivered as it would be for real, and
  /// `readerMark` tells readers what it is.
  public var commsPriority: Priority {
    infos.map(\.commsPriority).min() ?? .normal
  }

  /// The mark to put in front of the subject or first line of what readers
  /// see, so that nobody takes a message that is not real for a real one:
  ///
  /// | status   | mark        | why                                       |
  /// |----------|-------------|-------------------------------------------|
  /// | Actual   | none        | real: acted on as it stands               |
  /// | Exercise | `[ØVELSE]`  | an exercise: real people, pretend event   |
  /// | System   | `[SYSTEM]`  | network housekeeping, not for the public  |
  /// | Test     | `[TEST]`    | a technical test; to be ignored           |
  /// | Draft    | `[KLADDE]`  | not yet issued; should not be sent at all |
  ///
  /// Danish, like the operators' and readers' language; SYSTEM and TEST read
  /// the same in Danish and English.
  public var readerMark: String? {
    switch status {
    case .actual: nil
    case .exercise: "[ØVELSE]"
    case .system: "[SYSTEM]"
    case .test: "[TEST]"
    case .draft: "[KLADDE]"
    }
  }
}
