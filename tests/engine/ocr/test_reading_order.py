"""Reading order from plain boxes: no OCR here."""

from engine.ocr.reading_order import reading_order

H = 20  # a line's height in these pages


def line(x, y, w=200):
    return (x, y, x + w, y + H)


def test_lines_of_one_paragraph_in_order_whatever_order_they_came_in():
    boxes = [line(10, 70), line(10, 10), line(10, 40)]
    assert reading_order(boxes) == [[1, 2, 0]]


def test_two_columns_are_read_one_after_the_other_not_across():
    left = [line(10, 60 + k * 28) for k in range(5)]
    right = [line(300, 60 + k * 28) for k in range(5)]
    title = [line(10, 10, 490)]
    boxes = right + title + left  # any order in
    blocks = reading_order(boxes)
    assert blocks == [[5], [6, 7, 8, 9, 10], [0, 1, 2, 3, 4]]


def test_blocks_top_to_bottom_and_a_row_of_buttons_left_to_right():
    text = [line(20, 90, 340), line(20, 120, 340)]
    buttons = [line(515, 330, 50), line(265, 330, 90), line(395, 330, 60)]
    title = [line(10, 10, 170)]
    blocks = reading_order(buttons + text + title)
    assert blocks == [[5], [3, 4], [1], [2], [0]]


def test_words_of_one_row_split_into_boxes_stay_one_row_left_to_right():
    boxes = [(120, 11, 180, 31), (10, 10, 100, 30), (10, 40, 180, 60)]  # 20 px apart on one row
    assert reading_order(boxes) == [[1, 0, 2]]


def test_a_slightly_uneven_row_is_still_one_row():
    boxes = [(10, 12, 90, 32), (100, 9, 190, 29)]
    assert [i for block in reading_order(boxes) for i in block] == [0, 1]


def test_no_boxes():
    assert reading_order([]) == []
