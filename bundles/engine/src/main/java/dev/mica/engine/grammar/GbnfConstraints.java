package dev.mica.engine.grammar;

import dev.mica.api.backend.Constraint;
import dev.mica.api.inference.OutputFormat;
import dev.mica.engine.output.ChatFormat;
import java.util.List;
import java.util.Map;

/** Output formats as GBNF grammars ({@link JsonSchemaGrammar}), whose start rule is {@code root}. */
public final class GbnfConstraints implements OutputConstraints {
    @Override
    public Constraint compile(OutputFormat format) throws InvalidSchemaException {
        return switch (format) {
            case null -> null;
            case OutputFormat.AnyJson any -> new Constraint.Grammar(JsonSchemaGrammar.anyObject(), "root");
            case OutputFormat.Schema schema -> new Constraint.Grammar(JsonSchemaGrammar.fromSchema(schema.json()), "root");
        };
    }

    @Override
    public Constraint toolCall(ChatFormat.ToolSyntax syntax, List<Map<String, Object>> tools, boolean inThinking) throws InvalidSchemaException {
        return new Constraint.Grammar(ToolCallGrammar.of(syntax, tools, inThinking), "root");
    }
}
