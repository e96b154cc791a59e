import java.io.ByteArrayInputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.javarosa.core.model.Constants;
import org.javarosa.core.model.FormDef;
import org.javarosa.core.model.SelectChoice;
import org.javarosa.core.model.ValidateOutcome;
import org.javarosa.core.model.data.AnswerDataFactory;
import org.javarosa.core.model.data.IAnswerData;
import org.javarosa.core.model.data.SelectMultiData;
import org.javarosa.core.model.data.SelectOneData;
import org.javarosa.core.model.data.StringData;
import org.javarosa.core.model.data.UncastData;
import org.javarosa.core.model.data.helper.Selection;
import org.javarosa.core.model.instance.InstanceInitializationFactory;
import org.javarosa.core.reference.Reference;
import org.javarosa.core.reference.ReferenceFactory;
import org.javarosa.core.reference.ReferenceManager;
import org.javarosa.core.services.IPropertyManager;
import org.javarosa.core.services.PropertyManager;
import org.javarosa.core.services.properties.IPropertyRules;
import org.javarosa.form.api.FormEntryController;
import org.javarosa.form.api.FormEntryModel;
import org.javarosa.form.api.FormEntryPrompt;
import org.javarosa.model.xform.XFormSerializingVisitor;
import org.javarosa.xform.util.XFormUtils;

/**
 * Fills an XForm with JavaRosa, the form engine inside ODK Collect, the way an enumerator
 * moves through it: question by question, in order, with relevance, constraints, required
 * answers and repeats evaluated by the engine itself, then finalised as Collect does.
 *
 * Usage: FormFill FORM.xml MEDIA_DIR (SCENARIO OUT_PREFIX)...
 *
 * A scenario is a UTF-8 file of tab-separated lines:
 *   name<TAB>value          answer the question named name (choice names for selects,
 *                           space-separated for select_multiple; an empty value leaves it blank)
 *   *default<TAB>choice     any question not named above: pick this choice if it is offered
 *                           (alone, for select_multiple), otherwise leave it blank
 *   *fill<TAB>yes           any required question still without an answer: the first choice
 *                           offered, 1 for numbers, today for dates, a point, or a word of text
 *   *repeat:name<TAB>N      fill N instances of the repeat called name (counting any the
 *                           form starts with)
 * A question already answered (a default) keeps its answer unless the scenario names it.
 * A required question left blank, a value that is not offered or breaks a constraint, or a
 * form that does not validate at the end is reported as an ERROR line and stops the fill.
 *
 * OUT_PREFIX.log gets one line per event (QUESTION name value, NOTE name, REPEAT name for
 * each instance entered,
 * ERROR message, END); OUT_PREFIX.xml the finalised instance as Collect would send it
 * (non-relevant fields dropped).
 */
public final class FormFill {

    private FormFill() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 4 || args.length % 2 != 0) {
            System.err.println("usage: FormFill FORM.xml MEDIA_DIR (SCENARIO OUT_PREFIX)...");
            System.exit(2);
        }
        byte[] xform = Files.readAllBytes(Paths.get(args[0]));
        ReferenceManager.instance().addReferenceFactory(new MediaFactory(Paths.get(args[1])));
        PropertyManager.setPropertyManager(new Properties());
        for (int i = 2; i < args.length; i += 2) {
            Scenario scenario = Scenario.read(Paths.get(args[i]));
            List<String> log = new ArrayList<>();
            byte[] instance = new byte[0];
            try {
                instance = fill(xform, scenario, log);
            } catch (Stop stop) {
                log.add("ERROR " + stop.getMessage());
            } catch (RuntimeException error) {
                log.add("ERROR " + error);
            }
            Files.write(Paths.get(args[i + 1] + ".log"), String.join("\n", log).concat("\n")
                .getBytes(StandardCharsets.UTF_8));
            Files.write(Paths.get(args[i + 1] + ".xml"), instance);
        }
    }

    static final class Stop extends Exception {
        private static final long serialVersionUID = 1L;

        Stop(String message) {
            super(message);
        }
    }

    static final class Scenario {
        final Map<String, String> answers = new HashMap<>();
        final Map<String, Integer> repeats = new HashMap<>();
        String fallback;
        boolean fill;

        static Scenario read(Path path) throws IOException {
            Scenario scenario = new Scenario();
            for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                if (line.isEmpty()) {
                    continue;
                }
                int tab = line.indexOf('\t');
                String key = tab < 0 ? line : line.substring(0, tab);
                String value = tab < 0 ? "" : line.substring(tab + 1);
                if (key.equals("*default")) {
                    scenario.fallback = value;
                } else if (key.equals("*fill")) {
                    scenario.fill = value.equals("yes");
                } else if (key.startsWith("*repeat:")) {
                    scenario.repeats.put(key.substring("*repeat:".length()), Integer.parseInt(value));
                } else {
                    scenario.answers.put(key, value);
                }
            }
            return scenario;
        }
    }

    static byte[] fill(byte[] xform, Scenario scenario, List<String> log) throws Exception {
        FormDef form = XFormUtils.getFormFromInputStream(new ByteArrayInputStream(xform));
        FormEntryModel model = new FormEntryModel(form);
        FormEntryController controller = new FormEntryController(model);
        form.initialize(true, new InstanceInitializationFactory());
        for (int event = controller.stepToNextEvent();
                event != FormEntryController.EVENT_END_OF_FORM;
                event = controller.stepToNextEvent()) {
            if (event == FormEntryController.EVENT_REPEAT) {
                log.add("REPEAT " + model.getFormIndex().getReference().getNameLast());
                continue;
            }
            if (event == FormEntryController.EVENT_PROMPT_NEW_REPEAT) {
                String name = model.getFormIndex().getReference().getNameLast();
                int existing = model.getFormIndex().getElementMultiplicity();
                if (existing < scenario.repeats.getOrDefault(name, 0)) {
                    controller.newRepeat();
                    log.add("REPEAT " + name);
                }
                continue;
            }
            if (event != FormEntryController.EVENT_QUESTION) {
                continue;
            }
            FormEntryPrompt prompt = model.getQuestionPrompt();
            String name = prompt.getIndex().getReference().getNameLast();
            if (prompt.isReadOnly()) {
                log.add("NOTE " + name);
                continue;
            }
            IAnswerData current = prompt.getAnswerValue();
            if (!scenario.answers.containsKey(name) && current != null) {
                // Already answered (a default, or an earlier repeat): the enumerator moves on.
                log.add("QUESTION " + name + " " + current.uncast().getString());
                continue;
            }
            String value = scenario.answers.containsKey(name)
                ? scenario.answers.get(name)
                : fallbackFor(prompt, scenario);
            log.add("QUESTION " + name + " " + value);
            if (value.isEmpty()) {
                if (prompt.isRequired()) {
                    throw new Stop("required question " + name + " has no answer on this path");
                }
                continue;
            }
            int outcome = controller.answerQuestion(prompt.getIndex(), answer(prompt, name, value), true);
            if (outcome == FormEntryController.ANSWER_CONSTRAINT_VIOLATED) {
                throw new Stop(name + " = " + value + " breaks its constraint: "
                    + prompt.getConstraintText());
            } else if (outcome != FormEntryController.ANSWER_OK) {
                throw new Stop(name + " = " + value + " not accepted (" + outcome + ")");
            }
        }
        ValidateOutcome outcome = form.validate();
        if (outcome != null) {
            throw new Stop("finalising fails at "
                + outcome.failedPrompt.getReference().getNameLast() + " (" + outcome.outcome + ")");
        }
        form.postProcessInstance();
        log.add("END");
        return new XFormSerializingVisitor(true).serializeInstance(form.getInstance());
    }

    static String fallbackFor(FormEntryPrompt prompt, Scenario scenario) {
        List<SelectChoice> choices = prompt.getSelectChoices();
        if (scenario.fallback != null && choices != null) {
            for (SelectChoice choice : choices) {
                if (choice.getValue().equals(scenario.fallback)) {
                    return scenario.fallback;
                }
            }
        }
        if (!scenario.fill || !prompt.isRequired()) {
            return "";
        }
        if (choices != null) {
            return choices.isEmpty() ? "" : choices.get(0).getValue();
        }
        switch (prompt.getDataType()) {
            case Constants.DATATYPE_INTEGER:
            case Constants.DATATYPE_DECIMAL:
                return "1";
            case Constants.DATATYPE_DATE:
                return java.time.LocalDate.now().toString();
            case Constants.DATATYPE_GEOPOINT:
                return "-10.1772 123.607 45 5";
            case Constants.DATATYPE_BINARY:
                return "";
            default:
                return "jawaban";
        }
    }

    static IAnswerData answer(FormEntryPrompt prompt, String name, String value) throws Stop {
        int control = prompt.getControlType();
        if (control == Constants.CONTROL_SELECT_ONE || control == Constants.CONTROL_SELECT_MULTI) {
            Map<String, SelectChoice> offered = new HashMap<>();
            for (SelectChoice choice : prompt.getSelectChoices()) {
                offered.put(choice.getValue(), choice);
            }
            List<Selection> selections = new ArrayList<>();
            for (String part : value.trim().split("\\s+")) {
                SelectChoice choice = offered.get(part);
                if (choice == null) {
                    throw new Stop(name + " does not offer " + part + " here");
                }
                selections.add(choice.selection());
            }
            if (control == Constants.CONTROL_SELECT_ONE) {
                if (selections.size() != 1) {
                    throw new Stop(name + " takes one choice, not " + value);
                }
                return new SelectOneData(selections.get(0));
            }
            return new SelectMultiData(selections);
        }
        if (prompt.getDataType() == Constants.DATATYPE_BINARY) {
            return new StringData(value);
        }
        IAnswerData template = AnswerDataFactory.templateByDataType(prompt.getDataType());
        return template.cast(new UncastData(value));
    }

    /** What Collect answers for the deviceid and username metadata. */
    static final class Properties implements IPropertyManager {
        private final Map<String, String> values = new HashMap<>();

        Properties() {
            values.put("deviceid", "collect:formfill");
            values.put("username", "formfill");
        }

        @Override
        public List<String> getProperty(String name) {
            String value = getSingularProperty(name);
            return value == null ? null : List.of(value);
        }

        @Override
        public void setProperty(String name, String value) {
            values.put(name, value);
        }

        @Override
        public void setProperty(String name, List<String> value) {
            values.put(name, String.join(" ", value));
        }

        @Override
        public String getSingularProperty(String name) {
            return values.get(name);
        }

        @Override
        public void addRules(IPropertyRules rules) {}

        @Override
        public List<IPropertyRules> getRules() {
            return new ArrayList<>();
        }
    }

    /** Resolves jr://file/, jr://file-csv/ and jr://images/ to files in the media folder. */
    static final class MediaFactory implements ReferenceFactory {
        private final Path folder;

        MediaFactory(Path folder) {
            this.folder = folder;
        }

        @Override
        public boolean derives(String uri) {
            return uri.startsWith("jr://file/") || uri.startsWith("jr://file-csv/")
                || uri.startsWith("jr://images/");
        }

        @Override
        public Reference derive(String uri) {
            return new MediaReference(uri, folder.resolve(uri.substring(uri.lastIndexOf('/') + 1)));
        }

        @Override
        public Reference derive(String uri, String context) {
            return derive(uri);
        }
    }

    static final class MediaReference implements Reference {
        private final String uri;
        private final Path file;

        MediaReference(String uri, Path file) {
            this.uri = uri;
            this.file = file;
        }

        @Override
        public boolean doesBinaryExist() {
            return Files.isRegularFile(file);
        }

        @Override
        public InputStream getStream() throws IOException {
            return new FileInputStream(file.toFile());
        }

        @Override
        public String getURI() {
            return uri;
        }

        @Override
        public String getLocalURI() {
            return file.toAbsolutePath().toString();
        }

        @Override
        public boolean isReadOnly() {
            return true;
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            throw new IOException("media are read-only");
        }

        @Override
        public void remove() throws IOException {
            throw new IOException("media are read-only");
        }

        @Override
        public Reference[] probeAlternativeReferences() {
            return new Reference[0];
        }
    }
}
