//! JUnit XML, which CI systems show as test results: a failure fails the
//! build's test view, a skipped case neither passes nor fails it.
pub struct TestSuites {
    pub name: String,
    pub suites: Vec<TestSuite>,
}

pub struct TestSuite {
    pub name: String,
    pub cases: Vec<TestCase>,
}

pub struct TestCase {
    pub classname: String,
    pub name: String,
    pub outcome: Outcome,
}

pub enum Outcome {
    Passed,
    Failed { message: String, details: String },
    Skipped { message: String },
}

impl TestSuite {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| f(&c.outcome)).count()
    }
}

fn failed(o: &Outcome) -> bool {
    matches!(o, Outcome::Failed { .. })
}

pub fn to_junit(all: &TestSuites) -> String {
    let tests: usize = all.suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = all.suites.iter().map(|s| s.count(failed)).sum();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\">\n",
        xml(&all.name)
    );
    for suite in &all.suites {
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
            xml(&suite.name),
            suite.cases.len(),
            suite.count(failed),
            suite.count(|o| matches!(o, Outcome::Skipped { .. }))
        ));
        suite.cases.iter().for_each(|c| out.push_str(&testcase(c)));
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(c: &TestCase) -> String {
    let open = format!(
        "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
        xml(&c.classname),
        xml(&c.name)
    );
    match &c.outcome {
        Outcome::Failed { message, details } => format!(
            "{open}>\n      <failure message=\"{}\" type=\"regression\">{}</failure>\n    </testcase>\n",
            xml(message),
            xml(details)
        ),
        Outcome::Skipped { message } => format!(
            "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
            xml(message)
        ),
        Outcome::Passed => format!("{open}/>\n"),
    }
}

/// XML 1.0 text and attributes: characters XML 1.0 cannot carry are dropped, the
/// rest escaped. Tab, newline and carriage return become character references,
/// because a parser turns them into spaces inside attributes.
fn xml(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .fold(String::with_capacity(s.len()), |mut out, c| {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                '\t' => out.push_str("&#9;"),
                '\n' => out.push_str("&#10;"),
                '\r' => out.push_str("&#13;"),
                c => out.push(c),
            }
            out
        })
}
