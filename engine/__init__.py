"""The model side: llama.cpp and mtmd through llama-cpp-python. No Qt imports here."""
