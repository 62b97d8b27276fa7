package dev.mica.tokenizer;

import dev.mica.api.backend.Tokenizer;
import dev.mica.gguf.GgufFile;

/**
 * Tokenizers for the vocabularies inside GGUF files, in plain Java, behaving as the llama.cpp
 * that mica ships (llama-vocab.cpp at de3ff81): the same ids from {@code encode}, the same bytes
 * from {@code piece} (llama_token_to_piece with special = true), the same text from {@code decode}
 * (llama_detokenize), the same end-of-generation and control tokens.
 *
 * <p>Supported: SentencePiece vocabularies ({@code tokenizer.ggml.model = llama}: Llama 2,
 * Mistral, TinyStories...), byte-level BPE ({@code gpt2}) with the pre-tokenizers of Llama 3
 * ({@code llama-bpe} and the names llama.cpp treats alike), Qwen2, Qwen3.5 and GPT-2, and
 * llama.cpp's synthetic {@code test} vocabulary. Others (WordPiece, Unigram, RWKV, BPE with other
 * pre-tokenizers) are refused with an {@link UnsupportedOperationException} naming what is missing.
 */
public final class GgufTokenizers {
    private GgufTokenizers() {}

    /**
     * The tokenizer of a GGUF file's vocabulary (its {@code tokenizer.ggml.*} metadata).
     *
     * @throws UnsupportedOperationException the tokenizer model or pre-tokenizer is one this library lacks
     * @throws IllegalArgumentException      the metadata is not a vocabulary libllama would load
     */
    public static Tokenizer fromGguf(GgufFile gguf) {
        return new LlamaTokenizer(Vocabulary.fromGguf(gguf));
    }
}
