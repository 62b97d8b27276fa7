package dev.mica.api.model;

import java.util.regex.Pattern;

/**
 * Which files of a model folder (config.json, *.safetensors, tokenizer files, as Hugging Face and
 * mlx-community publish them) make up the model: what the store takes from a folder and what a
 * client uploads of one must agree. JSON files one folder down come too: sentence-transformers
 * keeps an embedding model's pooling in {@code 1_Pooling/config.json}. Names stay inside the folder.
 */
public final class ModelFolderFiles {
    private static final Pattern FILE = Pattern.compile(
            "[A-Za-z0-9][A-Za-z0-9._-]{0,127}\\.(safetensors|json)|chat_template\\.jinja|tokenizer\\.model"
                    + "|[A-Za-z0-9][A-Za-z0-9._-]{0,63}/[A-Za-z0-9][A-Za-z0-9._-]{0,127}\\.json");

    private ModelFolderFiles() {}

    /** Whether a file of this name, relative to the folder with '/' between names, is part of the model. */
    public static boolean takes(String name) {
        return name != null && FILE.matcher(name).matches();
    }
}
