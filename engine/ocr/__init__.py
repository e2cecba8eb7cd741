"""Reading the exact text of an image: rapidocr's PP-OCR models, run in a process of their own."""
