// A doubly linked intrusive list. A ListHook unlinks itself when destroyed, so an object that
// dies can never stay reachable from a list (HAProxy's "no dangling pointer" rule, by RAII).
#pragma once

#include <cstddef>

namespace sluice::core {

struct ListHook {
  ListHook* prev = this;
  ListHook* next = this;

  ListHook() = default;
  ListHook(const ListHook&) = delete;
  ListHook& operator=(const ListHook&) = delete;
  ~ListHook() { unlink(); }

  bool linked() const { return next != this; }
  void unlink() {
    prev->next = next;
    next->prev = prev;
    prev = next = this;
  }
  // Inserts `node` right before this one (at the tail when this is a list head).
  void insert_before(ListHook& node) {
    node.unlink();
    node.next = this;
    node.prev = prev;
    prev->next = &node;
    prev = &node;
  }
};

// A hook tagged by list kind, so one object can sit in several lists at once:
//   struct Conn : ListNode<IdleTag>, ListNode<TimerTag> { ... };
template <class Tag>
struct ListNode : ListHook {};

// A list head over objects of type T deriving from ListNode<Tag>.
template <class T, class Tag = void>
class IntrusiveList {
  using Node = ListNode<Tag>;

 public:
  IntrusiveList() = default;
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;
  ~IntrusiveList() {
    while (head_.linked()) head_.next->unlink();
  }

  bool empty() const { return !head_.linked(); }
  void push_back(T& obj) { head_.insert_before(static_cast<Node&>(obj)); }
  void push_front(T& obj) { head_.next->insert_before(static_cast<Node&>(obj)); }
  T* front() { return empty() ? nullptr : from_hook(head_.next); }
  T* back() { return empty() ? nullptr : from_hook(head_.prev); }
  T* pop_front() {
    T* t = front();
    if (t) static_cast<Node&>(*t).unlink();
    return t;
  }
  static void remove(T& obj) { static_cast<Node&>(obj).unlink(); }
  static bool is_linked(const T& obj) { return static_cast<const Node&>(obj).linked(); }
  size_t size() const {
    size_t n = 0;
    for (const ListHook* h = head_.next; h != &head_; h = h->next) ++n;
    return n;
  }

  // Iteration tolerant of removing the current element.
  template <class F>
  void for_each(F&& f) {
    ListHook* h = head_.next;
    while (h != &head_) {
      ListHook* next = h->next;
      f(*from_hook(h));
      h = next;
    }
  }

 private:
  static T* from_hook(ListHook* h) { return static_cast<T*>(static_cast<Node*>(h)); }
  ListHook head_;
};

}  // namespace sluice::core
